"""The township's progress table, ranks, scores, shares, the monthly report files, and who may see them.

The 67-village township below is worked out on paper (seed 001: 67 villages, 21 of them ≥ 10万 = 31.3%; every
village ≥ 3万; 3万 is the scoring base, +10 points per full 1,000 元 above it). One voucher per village.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from backend import disclosures as disclosure_service
from backend.core.db import db
from backend.decisions.pipeline import service as pipeline
from backend.ledger import service as ledger
from backend.registry import settings
from backend.township import service as township

API = "/api/v1"
MAY_10 = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)


def income(village, yuan_fen: int, *, operating: bool = True, on: date = date(2026, 3, 15)) -> None:
    ledger.ensure_chart(village)
    v = ledger.create_voucher(
        village,
        ledger.VoucherInput(
            on,
            "收入",
            [ledger.LineInput("102", yuan_fen, 0), ledger.LineInput("501001" if operating else "503", 0, yuan_fen)],
        ),
        actor=None,
    )
    ledger.post_voucher(v, actor=None)


# (code, total fen, operating?) — None: no books at all
PLAN: list[tuple[str, int | None, bool]] = [
    ("T001", 1_000_000_00, True),  # ≥ 100万
    *((f"T{1 + k:03d}", (150_000 + 1_000 * k) * 100, True) for k in range(1, 19)),  # T002–T019: 151,000 … 168,000
    ("T020", 100_000_00, True),  # exactly 10万, tied with T021
    ("T021", 100_000_00, True),
    ("T022", 99_999_99, True),  # a fen short of 10万
    ("T023", 30_000_00, True),  # exactly the base: met, score 0
    ("T024", 30_999_99, True),  # base + 999.99: score 0
    ("T025", 31_000_00, True),  # base + 1,000.00: score 10
    ("T026", 29_999_99, True),  # a fen short of the target (operating 2万 met)
    *((f"T{27 + k:03d}", 50_000_00, k % 2 == 0) for k in range(36)),  # T027–T062: 36 tied, half subsidy income
    *((f"T{63 + k:03d}", None, True) for k in range(5)),  # T063–T067: no books
]


@pytest.fixture
def big(make, now):
    now[0] = MAY_10
    qs = make.township("XY", "相衙镇")
    villages = {}
    for code, fen, operating in PLAN:
        v = make.village(code, f"{code}村", township=qs)
        villages[code] = v
        if fen is not None:
            income(v, fen, operating=operating)
    staff = make.staff(qs, "郑雯")
    db.session.commit()
    return {"qs": qs, "v": villages, "staff": staff}


def test_plan_is_the_seed_township():
    assert len(PLAN) == 67
    assert sum(1 for _, fen, _ in PLAN if fen and fen >= 100_000_00) == 21


def test_targets_ranks_scores_and_shares_of_67_villages(client, make, big):
    r = client.get(f"{API}/townships/{big['qs'].id}/progress", headers=make.headers(big["staff"]))
    assert r.status_code == 200, r.json
    body = r.json
    assert (body["year"], body["month"], body["through"], body["label"]) == (2026, 5, "2026-05", "2026年1—5月")
    assert body["score_rule"] == "3万元为基础，每超额1000元加10分"
    rows = {x["village_code"]: x for x in body["villages"]}
    assert len(rows) == 67
    # the order is by rank, then code
    assert [x["village_code"] for x in body["villages"][:3]] == ["T001", "T019", "T018"]
    assert [x["village_code"] for x in body["villages"][-5:]] == ["T063", "T064", "T065", "T066", "T067"]

    def row(code):
        x = rows[code]
        return x["total_income"], x["total_met"], x["rank"], x["score"]

    assert row("T001") == ("1000000.00", True, 1, 9700)
    assert rows["T001"]["tiers"] == [{"threshold": "100000.00", "met": True}, {"threshold": "1000000.00", "met": True}]
    assert row("T019") == ("168000.00", True, 2, 1380)
    assert row("T002") == ("151000.00", True, 19, 1210)
    assert row("T020") == row("T021") == ("100000.00", True, 20, 700)  # a tie shares the rank …
    assert row("T022") == ("99999.99", True, 22, 690)  # … and the next rank skips
    assert rows["T022"]["tiers"][0]["met"] is False and rows["T020"]["tiers"][0]["met"] is True
    assert {row(f"T{n:03d}") for n in range(27, 63)} == {("50000.00", True, 23, 200)}
    assert row("T025") == ("31000.00", True, 59, 10)
    assert row("T024") == ("30999.99", True, 60, 0)
    assert row("T023") == ("30000.00", True, 61, 0)
    assert row("T026") == ("29999.99", False, 62, 0)
    assert rows["T026"]["operating_met"] is True and rows["T026"]["target_total"] == "30000.00"
    for n in range(63, 68):
        assert row(f"T{n:03d}") == ("0.00", False, 63, 0)
        assert rows[f"T{n:03d}"]["operating_income"] == "0.00"
    assert rows["T027"]["operating_income"] == "50000.00" and rows["T027"]["operating_met"] is True
    assert rows["T028"]["operating_income"] == "0.00" and rows["T028"]["operating_met"] is False
    s = body["summary"]
    assert (s["villages"], s["total_income"], s["operating_income"]) == (67, "6092999.97", "5192999.97")
    assert {ln["label"]: ln["share"] for ln in s["lines"]} == {
        "总收入达到目标": "61 / 67 = 91.0%",
        "经营性收入达到目标": "44 / 67 = 65.7%",
        "总收入、经营性收入都达到目标": "43 / 67 = 64.2%",
        "总收入10万元以上": "21 / 67 = 31.3%",
        "总收入100万元以上": "1 / 67 = 1.5%",
        "上期财务未公开": "67 / 67 = 100.0%",
    }
    assert body["disclosure_period"] == "2026-Q1" and s["unpublished"] == 67


def test_settings_move_the_targets_tiers_and_score(client, make, big):
    qs, v = big["qs"], big["v"]
    settings.put("township.tier_2_fen", 0, actor=None, township=qs)  # 0: the tier is not counted
    settings.put("township.score_points", 5, actor=None, township=qs)
    settings.put("township.score_step_fen", 500_00, actor=None, township=qs)
    settings.put("township.target_total_fen", 40_000_00, actor=None, village=v["T025"])  # 一村一策
    db.session.commit()
    p = township.progress(qs.id)
    rows = {r.code: r for r in p.villages}
    assert p.tiers == [100_000_00] and rows["T001"].tiers == (True,)
    assert rows["T024"].score == 5 and rows["T025"].score == 10 and rows["T001"].score == 9700
    assert rows["T025"].total_met is False and rows["T023"].total_met is True
    assert [ln.label for ln in p.lines if "以上" in ln.label] == ["总收入10万元以上"]
    assert p.score_rule == "3万元为基础，每超额500元加5分"


def test_monthly_report_xlsx_and_pdf(client, make, big):
    url = f"{API}/townships/{big['qs'].id}/progress"
    sh = make.headers(big["staff"])
    r = client.get(url + ".xlsx?month=4", headers=sh)
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(r.data)).active
    values = list(ws.iter_rows(values_only=True))
    assert values[0][0] == "相衙镇村级集体经济收入进度通报" and values[1][0].startswith("2026年1—4月")
    assert values[3][:3] == ("名次", "村", "总收入（元）")
    body = values[4 : 4 + 67]
    assert body[0][:4] == (1, "T001村", 1000000, "是") and body[0][6] == 9700
    assert [b[1] for b in body].count("T027村") == 1 and body[-1][:3] == (63, "T067村", 0)
    flat = [str(c) for row in values for c in row if c is not None]
    assert "21 / 67 = 31.3%" in flat and "全镇合计" in flat

    r = client.get(url + ".pdf", headers=sh)
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(r.data))
    assert len(pdf.pages) >= 2  # 67 rows run over
    doc = pdfium.PdfDocument(r.data)  # the text as a reader's PDF engine extracts it (as the ledger's tests do)
    text = "".join(page.get_textpage().get_text_range() for page in doc)
    doc.close()
    for needle in ("相衙镇村级集体经济收入进度通报", "T001村", "T067村", "1,000,000.00", "21 / 67 = 31.3%", "全镇合计"):
        assert needle in text, needle
    fonts = {str(f) for page in pdf.pages for f in page["/Resources"]["/Font"].values()}
    assert fonts


def test_year_to_date_stops_at_the_month(client, make, now):
    now[0] = MAY_10
    qs = make.township("QS", "青山镇")
    a, b = make.village("A01", "甲村", township=qs), make.village("B02", "乙村", township=qs)
    income(a, 20_000_00, on=date(2026, 2, 1))
    income(a, 15_000_00, on=date(2026, 5, 2))
    income(a, 9_000_00, on=date(2025, 12, 1))  # last year: never counted
    income(b, 20_000_00, on=date(2026, 4, 30))
    staff = make.staff(qs)
    db.session.commit()
    url = f"{API}/townships/{qs.id}/progress"
    sh = make.headers(staff)

    def table(query=""):
        r = client.get(url + query, headers=sh)
        assert r.status_code == 200, r.json
        return [(x["village_code"], x["total_income"], x["rank"]) for x in r.json["villages"]]

    assert table() == [("A01", "35000.00", 1), ("B02", "20000.00", 2)]
    assert table("?month=4") == [("A01", "20000.00", 1), ("B02", "20000.00", 1)]
    assert table("?month=1") == [("A01", "0.00", 1), ("B02", "0.00", 1)]
    assert table("?year=2025") == [("A01", "9000.00", 1), ("B02", "0.00", 2)]
    r = client.get(url + "?month=6", headers=sh)
    assert r.status_code == 422 and r.json["error"]["message"] == "不能查看还没到的月份"
    assert client.get(url + "?month=13", headers=sh).status_code == 422
    assert client.get(url + "?year=2025", headers=sh).json["month"] == 12


@pytest.fixture
def small(make, now):
    now[0] = MAY_10
    qs = make.township("QS", "青山镇")
    a, b = make.village("A01", "甲村", township=qs), make.village("B02", "乙村", township=qs)
    people = {
        "staff": make.staff(qs, "郑雯"),
        "agency": make.staff(qs, "钱会计", role="township_accountant"),
        "acc": make.member(a, "李秀英", roles=("accountant",)),
        "sup": make.member(a, "孙立平", roles=("supervisor",)),
        "sec": make.member(a, "王建国", roles=("secretary",)),
        "villager": make.member(b, "吴强"),
        "other": make.staff(make.township("BS", "白石镇"), "白石镇干部"),
    }
    db.session.commit()
    return {"qs": qs, "a": a, "b": b, **people}


def test_unpublished_disclosure_and_stuck_decisions(client, make, small, now):
    a, b = small["a"], small["b"]
    ledger.ensure_chart(a)
    for m in ("2026-01", "2026-02", "2026-03"):
        ledger.close_period(a, m, actor=None)
    d, _ = disclosure_service.draft_disclosure(a, "2026-Q1", None, actor=make.principal(small["acc"]))
    disclosure_service.approve(d, actor=make.principal(small["sup"]))
    disclosure_service.publish(d, actor=make.principal(small["acc"]))

    def decide(village, title):
        return pipeline.create_decision(village.id, pipeline.DecisionInput(title, "project", "村干部提议"), actor=None)

    now[0] = MAY_10 - timedelta(days=31)
    decide(a, "修村道")  # untouched for 31 days: stuck
    ended = decide(a, "建冷库")
    pipeline.end_decision(ended, "资金不足", actor=None)  # ended: neither open nor stuck
    now[0] = MAY_10 - timedelta(days=29)
    decide(b, "装路灯")  # 29 days: open, not stuck
    now[0] = MAY_10
    db.session.commit()
    body = client.get(f"{API}/townships/{small['qs'].id}/progress", headers=make.headers(small["staff"])).json
    rows = {x["village_code"]: x for x in body["villages"]}
    assert (rows["A01"]["disclosure_published"], rows["B02"]["disclosure_published"]) == (True, False)
    assert (rows["A01"]["open_decisions"], rows["A01"]["stuck_stages"]) == (1, 1)
    assert (rows["B02"]["open_decisions"], rows["B02"]["stuck_stages"]) == (1, 0)
    s = body["summary"]
    assert s["unpublished"] == 1 and s["stuck_stages"] == 1 and body["stuck_days"] == 30
    assert {ln["label"]: ln["share"] for ln in s["lines"]}["上期财务未公开"] == "1 / 2 = 50.0%"
    settings.put("township.stuck_days", 28, actor=None, township=small["qs"])
    db.session.commit()
    p = township.progress(small["qs"].id)
    assert [(r.code, r.stuck_stages) for r in sorted(p.villages, key=lambda r: r.code)] == [("A01", 1), ("B02", 1)]


@pytest.mark.parametrize("suffix", ["", ".xlsx", ".pdf"])
def test_permissions(client, make, small, suffix):
    url = f"{API}/townships/{small['qs'].id}/progress{suffix}"
    for who in ("staff", "agency"):  # township staff and the township's agency accountant
        assert client.get(url, headers=make.headers(small[who])).status_code == 200, who
    # village staff are not township viewers; another township's staff see nothing
    for who in ("sec", "acc", "villager", "other"):
        assert client.get(url, headers=make.headers(small[who])).status_code == 404, who
    assert client.get(url).status_code == 401
    assert (
        client.get(f"{API}/townships/999999/progress{suffix}", headers=make.headers(small["staff"])).status_code == 404
    )


def test_pure_rules():
    assert township.rank_by([5, 9, 9, 1, 5]) == [3, 1, 1, 5, 3]
    assert township.rank_by([]) == []
    base, step = 30_000_00, 1_000_00
    assert [township.score(t, base, step, 10) for t in (0, base - 1, base, base + 99_999, base + step)] == [
        0,
        0,
        0,
        0,
        10,
    ]
    assert township.score(base + 5 * step - 1, base, step, 10) == 40
    assert township.share(21, 67) == "21 / 67 = 31.3%"
    assert township.share(1, 8) == "1 / 8 = 12.5%" and township.share(1, 6) == "1 / 6 = 16.7%"
    assert township.share(0, 0) == "0 / 0 = —"
    with pytest.raises(ValueError):
        township.score(1, 0, 0, 10)
