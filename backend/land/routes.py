"""Land endpoints: parties, parcels, transfer and lease contracts, rent periods, grain prices, rent payments,
arrears, and a household's own land (docs/api.md ``GET /me/land``).

Staff (``land.read``) see every contract; the secretary, the accountant and the township's agency accountant
(``land.manage``) keep them. A household sees its own parcels, contracts and rent through ``/me/land``.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.idempotency import OPENAPI_PARAMETER, key_from_request
from backend.core.money import fen_to_yuan
from backend.core.pagination import PageArgs, page_schema, paginate
from backend.core.permissions import require_login, requires
from backend.land import contracts, households, parcels, payments, payouts
from backend.land.models import Contract, Parcel, PayoutBatch, RentPayment
from backend.land.schemas import (
    ArrearsArgs,
    ArrearsSchema,
    AwaitingSchema,
    BatchInSchema,
    BatchPaidInSchema,
    CashPayoutInSchema,
    ContractInSchema,
    ContractItemSchema,
    ContractListArgs,
    GrainPriceInSchema,
    GrainPriceListSchema,
    GrainPriceSchema,
    LandContractSchema,
    MyLandSchema,
    ParcelInSchema,
    ParcelListArgs,
    ParcelSchema,
    ParcelUpdateSchema,
    PartyInSchema,
    PartySchema,
    PaymentPayoutsSchema,
    PayoutBatchSchema,
    RentHistoryItemSchema,
    RentPaymentInSchema,
    RentPaymentSchema,
    RentPeriodInSchema,
    YearArgs,
    YearDueListSchema,
    YearPaymentListSchema,
)

blp = Blueprint("land", __name__, description="土地经营权流转与集体资产出租：地块、合同、租金、欠租")
SECURITY = [{"bearer": []}]


# ---------------------------------------------------------------- parties and parcels


@blp.route("/villages/<int:village_id>/land-parties", methods=["GET"])
@requires("land.read", village="village_id")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(PartySchema))
@blp.doc(security=SECURITY)
def list_parties(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村登记的流入方、承租方。"""
    return paginate(db.session, parcels.parties_stmt(village_id), args["page"], args["page_size"]).envelope()


@blp.route("/villages/<int:village_id>/land-parties", methods=["POST"])
@requires("land.manage", village="village_id")
@blp.arguments(PartyInSchema)
@blp.response(201, PartySchema)
@blp.doc(security=SECURITY)
def create_party(args: dict[str, Any], village_id: int) -> Any:
    """登记流入方（公司、合作社、家庭农场、个人）。个人的身份证号只保存哈希和后4位。"""
    p = parcels.create_party(registry.get_village(village_id), parcels.PartyInput(**args), actor=require_login())
    db.session.commit()
    return p


@blp.route("/villages/<int:village_id>/parcels", methods=["GET"])
@requires("land.read", village="village_id")
@blp.arguments(ParcelListArgs, location="query")
@blp.response(200, page_schema(ParcelSchema))
@blp.doc(security=SECURITY)
def list_parcels(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村地块（农户承包地、集体土地和资产），可按户、按类别筛选。"""
    stmt = parcels.parcels_stmt(village_id, args["household_id"], args["kind"], args["q"])
    page = paginate(db.session, stmt, args["page"], args["page_size"], scalars=False)
    return page.envelope(parcels.parcel_items(page.items))


@blp.route("/villages/<int:village_id>/parcels", methods=["POST"])
@requires("land.manage", village="village_id")
@blp.arguments(ParcelInSchema)
@blp.response(201, ParcelSchema)
@blp.doc(security=SECURITY)
def create_parcel(args: dict[str, Any], village_id: int) -> Any:
    """登记地块：代码、名称、坐落、面积（亩，最多4位小数）、地类、承包户、承包经营权证号、承包期限。"""
    data = parcels.ParcelInput(
        code=args["code"], name=args["name"], area_mu4=args["area_mu"], kind=args["kind"],
        household_id=args["household_id"], location=args["location"], land_type=args["land_type"],
        grade=args["grade"], measured_mu4=args["measured_mu"], basic_farmland=args["basic_farmland"],
        certificate_no=args["certificate_no"], contract_until=args["contract_until"])
    p = parcels.create_parcel(registry.get_village(village_id), data, actor=require_login())
    db.session.commit()
    return p


@blp.route("/parcels/<int:parcel_id>", methods=["GET"])
@requires("land.read", obj=(Parcel, "parcel_id"))
@blp.response(200, ParcelSchema)
@blp.doc(security=SECURITY)
def get_parcel(parcel: Parcel) -> Any:
    """一块地。"""
    return parcels.parcel_items([parcel])[0]


@blp.route("/parcels/<int:parcel_id>", methods=["PATCH"])
@requires("land.manage", obj=(Parcel, "parcel_id"))
@blp.arguments(ParcelUpdateSchema)
@blp.response(200, ParcelSchema)
@blp.doc(security=SECURITY)
def update_parcel(args: dict[str, Any], parcel: Parcel) -> Any:
    """更正地块登记：名称、坐落、面积、地类、承包户（不在合同中时）、证号、承包期限，或停用。代码和类别不改。"""
    changes = {("area_mu4" if k == "area_mu" else "measured_mu4" if k == "measured_mu" else k): v
               for k, v in args.items()}
    parcels.update_parcel(parcel, changes, actor=require_login())
    db.session.commit()
    return parcels.parcel_items([parcel])[0]


# ---------------------------------------------------------------- contracts


def _period(args: dict[str, Any], rent_kind: str) -> contracts.PeriodInput:
    if rent_kind == "in_kind":
        per_mu = args["per_mu"]
        if per_mu is None:
            raise AppError(422, "land.periods_invalid", "实物计租请填写每亩每年多少斤（per_mu）")
    else:
        per_mu = args["per_mu_yuan"]
        if per_mu is None:
            per_mu = 0 if args["flat"] else None
        if per_mu is None:
            raise AppError(422, "land.periods_invalid", "现金计租请填写每亩每年多少元（per_mu_yuan）")
    return contracts.PeriodInput(from_year=args["from_year"], to_year=args["to_year"], per_mu=per_mu,
                                 collective_per_mu=args["collective_per_mu"], fee_per_mu=args["fee_per_mu"],
                                 flat_fen=args["flat"], agreed_on=args["agreed_on"])


@blp.route("/villages/<int:village_id>/land-contracts", methods=["GET"])
@requires("land.read", village="village_id")
@blp.arguments(ContractListArgs, location="query")
@blp.response(200, page_schema(ContractItemSchema))
@blp.doc(security=SECURITY)
def list_contracts(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的流转和出租合同，最新的在前。"""
    page = paginate(db.session, contracts.contracts_stmt(village_id, args["kind"]), args["page"], args["page_size"],
                    scalars=False)
    return page.envelope(contracts.contract_items(page.items))


@blp.route("/villages/<int:village_id>/land-contracts", methods=["POST"])
@requires("land.manage", village="village_id")
@blp.arguments(ContractInSchema)
@blp.response(201, LandContractSchema)
@blp.doc(security=SECURITY)
def create_contract(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """登记合同（示范文本字段）：地块与面积、期限（不超过剩余承包期）、用途（农业）、受托流转的委托书、风险保障金、
    租金（现金或实物折款、分段约定、递增）、付款日（先付后用）。按合同年生成每年应收租金。"""
    data = contracts.ContractInput(
        number=args["number"], kind=args["kind"], party_id=args["party_id"], title=args["title"],
        start_date=args["start_date"], end_date=args["end_date"], use=args["use"], signed_on=args["signed_on"],
        lines=[contracts.LineInput(parcel_id=ln["parcel_id"], area_mu4=ln["area_mu"],
                                   entrustment_no=ln["entrustment_no"], entrustment_on=ln["entrustment_on"],
                                   entrustment_scope=ln["entrustment_scope"]) for ln in args["parcels"]],
        periods=[_period(p, args["rent_kind"]) for p in args["periods"]],
        due_month=args["due_month"], due_day=args["due_day"], rent_kind=args["rent_kind"], grain=args["grain"],
        price_basis=args["price_basis"], increase_bp=int(args["increase_percent"] * 100),
        increase_every=args["increase_every"], area_basis=args["area_basis"], entrusted=args["entrusted"],
        fee_note=args["fee_note"], late_fee_per_10k=args["late_fee_per_10k"], deposit_fen=args["deposit"],
        deposit_received_on=args["deposit_received_on"], deposit_held_by=args["deposit_held_by"],
        subsidy_to=args["subsidy_to"], filed_on=args["filed_on"], decision_id=args["decision_id"], note=args["note"])
    c = contracts.create_contract(registry.get_village(village_id), data, actor=require_login())
    db.session.commit()
    return contracts.contract_view(c)


@blp.route("/land-contracts/<int:contract_id>", methods=["GET"])
@requires("land.read", obj=(Contract, "contract_id"))
@blp.response(200, LandContractSchema)
@blp.doc(security=SECURITY)
def get_contract(contract: Contract) -> dict[str, Any]:
    """一份合同：双方、地块、期限、租金标准、每年应收与已收。"""
    return contracts.contract_view(contract)


@blp.route("/land-contracts/<int:contract_id>/rent-periods", methods=["POST"])
@requires("land.manage", obj=(Contract, "contract_id"))
@blp.arguments(RentPeriodInSchema)
@blp.response(201, LandContractSchema)
@blp.doc(security=SECURITY)
def add_period(args: dict[str, Any], contract: Contract) -> dict[str, Any]:
    """长包短定：约定下一段的租金（接着上一段），尚未收款的各年按新标准计算。"""
    contracts.add_rent_period(contract, _period(args, contract.rent_kind), actor=require_login())
    db.session.commit()
    return contracts.contract_view(contract)


@blp.route("/land-contracts/<int:contract_id>/payments", methods=["GET"])
@requires("land.read", obj=(Contract, "contract_id"))
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(RentPaymentSchema))
@blp.doc(security=SECURITY)
def list_payments(args: dict[str, Any], contract: Contract) -> dict[str, Any]:
    """合同的收款记录及每笔到户分配。"""
    page = paginate(db.session, payments.payments_stmt(contract), args["page"], args["page_size"])
    return page.envelope([payments.payment_view(p, False) for p in page.items])


@blp.route("/land-contracts/<int:contract_id>/payments", methods=["POST"])
@requires("land.manage", obj=(Contract, "contract_id"))
@blp.arguments(RentPaymentInSchema)
@blp.response(201, RentPaymentSchema)
@blp.alt_response(200, schema=RentPaymentSchema, description="同一幂等键的重复请求：返回第一次的结果")
@blp.doc(security=SECURITY, parameters=[OPENAPI_PARAMETER])
def record_payment(args: dict[str, Any], contract: Contract) -> Any:
    """登记收到的租金：按剩余应收在农户与集体间精确拆分（服务费从农户租金中扣除须有合同依据），农户部分按面积
    分到户（最大余额法），记账（农户部分记入应付款，待逐户转付）。不能超过欠款；支持 Idempotency-Key 安全重试。"""
    key = key_from_request()
    data = payments.PaymentInput(due_id=args["due_id"], amount_fen=args["amount"], paid_on=args["paid_on"],
                                 method=args["method"], reference=args["reference"])
    result = payments.record_payment(contract, data, idempotency_key=key, actor=require_login())
    db.session.commit()
    body = payments.payment_view(result.payment, result.replayed)
    return (body, 200) if result.replayed else body


@blp.route("/villages/<int:village_id>/rent-arrears", methods=["GET"])
@requires("land.read", village="village_id")
@blp.arguments(ArrearsArgs, location="query")
@blp.response(200, ArrearsSchema)
@blp.doc(security=SECURITY)
def rent_arrears(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """欠租：过了付款日仍未付清的各年租金，按合同和流入方汇总，含逾期天数和按合同计算的违约金。"""
    return payments.arrears_report(village_id, args["on"] or today(), args["page"], args["page_size"])


# ---------------------------------------------------------------- passing the rent on to the households

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _payouts_body(p: RentPayment) -> dict[str, Any]:
    c = contracts.get_contract(p.contract_id)
    return {"payment": payments.payment_view(p, False), "contract_number": c.number,
            "party": parcels.get_party(c.party_id).name, "items": payouts.payment_payouts(p)}


@blp.route("/villages/<int:village_id>/rent-dues", methods=["GET"])
@requires("land.read", village="village_id")
@blp.arguments(YearArgs, location="query")
@blp.response(200, YearDueListSchema)
@blp.doc(security=SECURITY)
def year_dues(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """某年（默认今年）各合同的应收租金：应收、已收、尚欠，是否逾期。"""
    year = args["year"] or today().year
    return {"year": year, "items": payments.year_dues(village_id, year)}


@blp.route("/villages/<int:village_id>/rent-payments", methods=["GET"])
@requires("land.read", village="village_id")
@blp.arguments(YearArgs, location="query")
@blp.response(200, YearPaymentListSchema)
@blp.doc(security=SECURITY)
def year_payments(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """某年收到的租金（默认今年），每笔的农户部分已转付多少、待转付多少。"""
    year = args["year"] or today().year
    return {"year": year, "items": payouts.year_payments(village_id, year)}


@blp.route("/land-payments/<int:payment_id>/payouts", methods=["GET"])
@requires("land.read", obj=(RentPayment, "payment_id"))
@blp.response(200, PaymentPayoutsSchema)
@blp.doc(security=SECURITY)
def payment_payouts(payment: RentPayment) -> dict[str, Any]:
    """一笔租金中每户应得的部分及转付情况（待转付、已列入代发、已转付）。"""
    return _payouts_body(payment)


@blp.route("/villages/<int:village_id>/rent-payouts/cash", methods=["POST"])
@requires("land.manage", village="village_id")
@blp.arguments(CashPayoutInSchema)
@blp.response(201, PaymentPayoutsSchema)
@blp.alt_response(200, schema=PaymentPayoutsSchema, description="同一幂等键的重复请求")
@blp.doc(security=SECURITY, parameters=[OPENAPI_PARAMETER])
def cash_payout(args: dict[str, Any], village_id: int) -> Any:
    """现金转付一户的租金：写明领款人和日期，记账（借 应付款，贷 库存现金）。支持 Idempotency-Key。"""
    out, replayed = payouts.pay_cash(registry.get_village(village_id), args["allocation_id"], args["receiver_name"],
                                     args["paid_on"], idempotency_key=key_from_request(), actor=require_login())
    db.session.commit()
    body = _payouts_body(payouts.payment_of(out))
    return (body, 200) if replayed else body


@blp.route("/villages/<int:village_id>/rent-payout-batches", methods=["POST"])
@requires("land.manage", village="village_id")
@blp.arguments(BatchInSchema)
@blp.response(201, PayoutBatchSchema)
@blp.alt_response(200, schema=PayoutBatchSchema, description="同一幂等键的重复请求")
@blp.doc(security=SECURITY, parameters=[OPENAPI_PARAMETER])
def create_batch(args: dict[str, Any], village_id: int) -> Any:
    """把选中农户的租金列入一个银行代发批次（下载代发表交银行；银行回单后标记已代发才记账、才算到户）。"""
    b, replayed = payouts.create_batch(registry.get_village(village_id), args["allocation_ids"],
                                       idempotency_key=key_from_request(), actor=require_login())
    db.session.commit()
    body = {**payouts.batch_view(b), "replayed": replayed}
    return (body, 200) if replayed else body


@blp.route("/rent-payout-batches/<int:batch_id>", methods=["GET"])
@requires("land.read", obj=(PayoutBatch, "batch_id"))
@blp.response(200, PayoutBatchSchema)
@blp.doc(security=SECURITY)
def get_batch(batch: PayoutBatch) -> dict[str, Any]:
    """一个代发批次。"""
    return payouts.batch_view(batch)


@blp.route("/rent-payout-batches/<int:batch_id>/bank-file.xlsx", methods=["GET"])
@requires("land.manage", obj=(PayoutBatch, "batch_id"))
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
def batch_file(batch: PayoutBatch) -> Response:
    """银行代发表（户号、户名、开户行、账号为文本，金额为数字）；缺少账户的农户列在第二张表。"""
    village = registry.get_village(batch.village_id)
    return send_file(io.BytesIO(payouts.batch_xlsx(batch)), as_attachment=True,
                     download_name=f"{village.code}-rent-batch-{batch.id}.xlsx", mimetype=XLSX)


@blp.route("/rent-payout-batches/<int:batch_id>/paid", methods=["POST"])
@requires("land.manage", obj=(PayoutBatch, "batch_id"))
@blp.arguments(BatchPaidInSchema)
@blp.response(200, PayoutBatchSchema)
@blp.doc(security=SECURITY)
def batch_paid(args: dict[str, Any], batch: PayoutBatch) -> dict[str, Any]:
    """银行已代发：填回单号和日期，整批一张凭证（借 应付款，贷 银行存款），批内各户即为已转付。"""
    b = payouts.mark_batch_paid(batch, args["bank_reference"], args["paid_on"], actor=require_login())
    db.session.commit()
    return payouts.batch_view(b)


@blp.route("/rent-payout-batches/<int:batch_id>", methods=["DELETE"])
@requires("land.manage", obj=(PayoutBatch, "batch_id"))
@blp.response(204)
@blp.doc(security=SECURITY)
def cancel_batch(batch: PayoutBatch) -> None:
    """撤销银行尚未代发的批次（账户有误、银行退回）：批内各户回到待转付。"""
    payouts.cancel_batch(batch, actor=require_login())
    db.session.commit()


@blp.route("/villages/<int:village_id>/rent-awaiting", methods=["GET"])
@requires("land.read", village="village_id")
@blp.response(200, AwaitingSchema)
@blp.doc(security=SECURITY)
def rent_awaiting(village_id: int) -> dict[str, Any]:
    """待转付：村已收到、尚未转付到户的租金，按户列出（即应付款中农户的租金）。"""
    items = payouts.awaiting(village_id)
    return {"total": fen_to_yuan(payouts.awaiting_total(village_id)), "items": items}


# ---------------------------------------------------------------- grain prices (township)


@blp.route("/townships/<int:township_id>/grain-prices", methods=["GET"])
@requires("village.view", township="township_id")
@blp.response(200, GrainPriceListSchema)
@blp.doc(security=SECURITY)
def list_prices(township_id: int) -> dict[str, Any]:
    """镇公布的各年粮食价格（实物计租折款用）。"""
    return {"items": contracts.grain_prices(township_id)}


@blp.route("/townships/<int:township_id>/grain-prices", methods=["POST"])
@requires("township.manage", township="township_id")
@blp.arguments(GrainPriceInSchema)
@blp.response(201, GrainPriceSchema)
@blp.doc(security=SECURITY)
def add_price(args: dict[str, Any], township_id: int) -> Any:
    """公布某年的粮食价格（市场价或国家最低收购价，元/斤）；按实物计租的合同随即算出当年租金。"""
    row = contracts.set_grain_price(registry.get_township(township_id), args["year"], args["grain"], args["basis"],
                                    args["price"], args["source"], actor=require_login())
    db.session.commit()
    return row


# ---------------------------------------------------------------- a household's own land


@blp.route("/me/land", methods=["GET"])
@requires(None)
@blp.response(200, MyLandSchema)
@blp.doc(security=SECURITY)
def my_land() -> dict[str, Any]:
    """我家的承包地、流转合同，以及今年应得和已到户的租金。"""
    p = require_login()
    if p.household_id is None or p.village_id is None:
        return {"parcels": [], "contracts": []}
    return households.my_land(p.household_id, p.village_id, p.township_id)


@blp.route("/me/land/rent-history", methods=["GET"])
@requires(None)
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(RentHistoryItemSchema))
@blp.doc(security=SECURITY)
def my_rent_history(args: dict[str, Any]) -> dict[str, Any]:
    """我家历年的流转租金：应得、已到户、到户日期，最新的在前。"""
    return households.rent_history_page(require_login().household_id, args["page"], args["page_size"])
