"""Schemas of the land import endpoints: what an import of parcels or contracts did (or, on a dry run, would do)."""

from __future__ import annotations

from marshmallow import fields

from backend.core.schemas import BaseSchema


class LandParcelImportReportSchema(BaseSchema):
    """What a parcel import did (or, on a dry run, would do)."""

    rows = fields.Integer(metadata={"description": "文件中的地块行数"})
    created = fields.Integer(metadata={"description": "新增的地块（试导入为0）"})
    contracted = fields.Integer(metadata={"description": "其中农户承包地"})
    collective = fields.Integer(metadata={"description": "其中集体土地和资产"})
    households = fields.Integer(metadata={"description": "涉及的承包户数"})
    area_mu = fields.String(metadata={"description": "登记面积合计（亩）"})
    dry_run = fields.Boolean()
    message = fields.String(metadata={"description": "结果说明"})


class LandContractImportItemSchema(BaseSchema):
    number = fields.String(metadata={"description": "合同编号"})
    contract_id = fields.Integer(allow_none=True, metadata={"description": "登记的合同（试导入为空）"})
    title = fields.String()
    party = fields.String(metadata={"description": "流入方"})
    parcels = fields.Integer(metadata={"description": "地块数"})
    area_mu = fields.String(metadata={"description": "计租面积合计（亩）"})
    years = fields.Integer(metadata={"description": "合同年数（每年一期应收租金）"})
    first_year_rent = fields.String(allow_none=True,
                                    metadata={"description": "第一年应收租金（元）；实物计租未公布价格时为空"})
    first_due_date = fields.Date(allow_none=True, metadata={"description": "第一年租金的付款日"})


class LandContractImportReportSchema(BaseSchema):
    """What a contract import did (or, on a dry run, would do)."""

    rows = fields.Integer(metadata={"description": "文件中的行数（每行一块地）"})
    contracts = fields.Integer(metadata={"description": "合同份数"})
    parcels = fields.Integer(metadata={"description": "合同涉及的地块数"})
    parties_created = fields.Integer(metadata={"description": "新登记的流入方"})
    dues = fields.Integer(metadata={"description": "生成的每年应收租金期数"})
    items = fields.List(fields.Nested(LandContractImportItemSchema))
    dry_run = fields.Boolean()
    message = fields.String(metadata={"description": "结果说明"})
