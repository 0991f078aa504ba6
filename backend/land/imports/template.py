"""The land imports' template .xlsx files: the columns :mod:`.service` reads, empty (the code-like and date columns
formatted as text, so that Excel keeps a 19-digit 地块代码, a 户号 such as 005 or a date as typed); a second sheet
填写说明 with each column, whether it must be filled and what it takes; a third sheet 示例（不导入） with worked
example rows under the same header, to copy row by row (29 columns would print illegibly small on the notes
sheet). Only the first sheet is read on import. The accepted values are the parser's own constants, and
tests/land/imports/test_land_templates.py imports the examples, so the instructions cannot drift from the parser."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from backend.core.xlsx import print_setup, text_only
from backend.land import contracts
from backend.land.imports import service as s
from backend.land.models import LAND_TYPES

NOTES, EXAMPLES = "填写说明", "示例（不导入）"
REQUIRED = "必填"
OPTIONAL = "可不填"
TEXT = "@"
TEXT_ROWS = 1000  # rows 2…1001 of a text column are formatted as text cell by cell (besides the column's own style)

DATE_HOW = "如 2026-03-01（也可写 2026/3/1、2026年3月1日，或 Excel 的日期）"
_one_of = "、".join


@dataclass(frozen=True)
class Column:
    header: str
    need: str  # 必填, 可不填, or when it must be filled (“农户承包地必填”)
    how: str
    width: float
    text: bool = False  # formatted as text on the first sheet


@dataclass(frozen=True)
class Template:
    sheet: str  # the first sheet's name
    what: str  # 地块表 / 合同表
    columns: tuple[Column, ...]
    rules: tuple[str, ...]  # the whole file's rules, under the columns
    examples: tuple[tuple[str, ...], ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


PARCELS = Template(
    sheet="地块",
    what="地块表",
    columns=(
        Column(s.P_CODE, REQUIRED, "本村唯一，最多40个字，如确权编码 3714271052010100031（这一列已设为文本格式，"
                                   "长编码不会变成科学计数）。导入只新增：本村已有的地块代码会报错，已有地块请在系统中修改",
               24, text=True),
        Column(s.P_NAME, REQUIRED, "最多60个字，如 东坡地", 14),
        Column(s.P_KIND, REQUIRED, _one_of(s.PARCEL_KIND_LABELS), 12),
        Column(s.P_HOUSEHOLD, "农户承包地必填", "本村花名册中的户号，如 LJ-005；集体土地、集体资产不属于某一户，须留空",
               12, text=True),
        Column(s.P_LOCATION, OPTIONAL, "最多120个字，如 临江村1组东坡，东至河，西至机耕路", 30),
        Column(s.P_TYPE, OPTIONAL, "不填为“耕地”；填写时为：" + _one_of(LAND_TYPES), 10),
        Column(s.P_GRADE, OPTIONAL, "最多20个字，如 二等", 8),
        Column(s.P_AREA, REQUIRED, "以亩计，大于零，最多4位小数，如 1.2 或 3.3333；请用半角数字", 14),
        Column(s.P_MEASURED, OPTIONAL, "同登记面积", 14),
        Column(s.P_BASIC, OPTIONAL, "是 或 否；不填为“否”。永久基本农田不得流转用于"
                                    + _one_of(contracts.NOT_ON_BASIC_FARMLAND), 12),
        Column(s.P_CERT, OPTIONAL, "最多40个字，如 371427105201010005J", 22, text=True),
        Column(s.P_UNTIL, OPTIONAL, "承包期的最后一天，" + DATE_HOW + "；这块地流转合同的到期日期不能晚于这一天", 13,
               text=True),
    ),
    rules=(
        "一行一块地，从第2行起填写；第1行的表头请勿改动（列的顺序可以调整；用不到的可不填的列可以删去）",
        "整份文件检查无误才会导入，有错的行会逐行列出行号、列和原因",
    ),
    examples=(
        ("3714271052010100031", "东坡地", "农户承包地", "LJ-005", "临江村1组东坡，东至河，西至机耕路", "耕地", "二等",
         "1.2", "1.25", "是", "371427105201010005J", "2057-12-31"),
        ("3714271052010100032", "河湾地", "农户承包地", "LJ-005", "临江村1组河湾", "耕地", "三等",
         "2", "", "否", "371427105201010005J", "2057-12-31"),
        ("3714271052010500077", "南大片", "农户承包地", "LJ-008", "临江村5组南大片", "", "",
         "3.45", "", "", "371427105201050008J", "2057/12/31"),
        ("LJ-JT-001", "村东鱼塘", "集体土地", "", "临江村村东", "养殖水面", "", "8.5", "", "否", "", ""),
    ),
)

_KINDS = "流转（农户承包地，租金归农户）或 出租（集体的土地、资产，租金归集体）"
_CONTRACT_LEVEL = "同一合同只需在第一行填写，其他行可留空（填了须一致）"

CONTRACTS = Template(
    sheet="合同",
    what="合同表",
    columns=(
        Column(s.NUMBER, REQUIRED, "最多40个字，如 LJLZ-101。一份合同涉及几块地就填几行，各行合同编号相同；"
                                   "本村已有的合同编号会报错（导入只新增合同）", 14, text=True),
        Column(s.TITLE, REQUIRED, "最多120个字；" + _CONTRACT_LEVEL, 26),
        Column(s.KIND, REQUIRED, _KINDS + "；" + _CONTRACT_LEVEL, 8),
        Column(s.PARTY, REQUIRED, "最多80个字；本村还没有登记的流入方随导入登记", 20),
        Column(s.PARTY_KIND, "新的流入方必填", _one_of(s.PARTY_KIND_LABELS)
               + "；新的流入方在它的任一份合同里填写一次即可，已登记的可不填（填了须与登记的一致）", 12),
        Column(s.CREDIT, OPTIONAL, "18位字母或数字，如 91371427MA3C00002X；已登记的流入方须与登记的一致", 22,
               text=True),
        Column(s.START, REQUIRED, DATE_HOW, 13, text=True),
        Column(s.END, REQUIRED, "合同期满后的第一天，如5年的合同自 2026-03-01 起，填 2031-03-01；"
                                "流转的农户承包地，到期日期不能晚于地块的“承包期至”", 13, text=True),
        Column(s.USE, REQUIRED, "土地须保持农业用途：" + _one_of(contracts.AGRICULTURAL_USES)
               + "（永久基本农田不得用于" + _one_of(contracts.NOT_ON_BASIC_FARMLAND) + "）；"
               "只出租集体资产（房屋、设施）时可填其他用途，最多20个字", 12),
        Column(s.SIGNED, REQUIRED, DATE_HOW, 13, text=True),
        Column(s.RENT_KIND, OPTIONAL, "现金 或 实物；不填为“现金”", 10),
        Column(s.RENT, "现金计租必填", "每亩每年的租金，单位元，最多2位小数，如 800；实物计租不填。"
                                       "租金按这一标准覆盖整个合同期（分段租金可导入后在系统中添加）", 14),
        Column(s.GRAIN_QTY, "实物计租必填", "每亩每年多少斤，1 到 100000 的整数，如 500", 14),
        Column(s.GRAIN, "实物计租必填", _one_of(contracts.GRAINS), 10),
        Column(s.BASIS, "实物计租必填", _one_of(s.BASIS_LABELS) + "（按当年价格折成现金）", 12),
        Column(s.INCREASE, OPTIONAL, "不填为不递增；百分数 0 到 50，最多2位小数，如 5 表示 5%", 13),
        Column(s.EVERY, OPTIONAL, "不填为 1（每年递增）；1 到 30 的整数，如 3 表示每3年递增一次", 14),
        Column(s.DUE_MONTH, OPTIONAL, "每年付租金的月份，1 到 12；不填为 3", 8),
        Column(s.DUE_DAY, OPTIONAL, "每年付租金的日子，1 到 28；不填为 1", 8),
        Column(s.ENTRUSTED, OPTIONAL, "是 或 否；不填为“否”。集体受托流转的，每块地（每行）都须填委托书编号和委托日期",
               10),
        Column(s.ENTRUST_NO, "集体受托时必填", "每户签字的流转委托书编号，每行（每块地）各自填写，最多40个字；"
                                              "与委托日期一并填写", 14, text=True),
        Column(s.ENTRUST_ON, "集体受托时必填", "流转委托书的日期，每行各自填写；" + DATE_HOW, 13, text=True),
        Column(s.FEE_NOTE, "收分成或服务费时必填", "集体收取分成或服务费的依据，如 村民代表会议决议（2026-01-05），"
                                                    "最多200个字", 26),
        Column(s.COLLECTIVE, OPTIONAL, "仅流转合同：集体每亩每年的分成，单位元，最多2位小数；出租合同不填", 16),
        Column(s.FEE, OPTIONAL, "仅流转合同：每亩每年的流转服务费，单位元，最多2位小数，不能超过每亩租金；出租合同不填",
               16),
        Column(s.DEPOSIT, OPTIONAL, "单位元，最多2位小数，如 2000", 14),
        Column(s.LINE_PARCEL, REQUIRED, "每行一块地，须是本村已登记的地块（可先导入地块表）；流转只能是农户承包地，"
                                        "出租只能是集体土地或集体资产", 24, text=True),
        Column(s.LINE_AREA, OPTIONAL, "不填为地块的登记面积；只流转一部分时填，不能超过地块面积，最多4位小数", 14),
        Column(s.DECISION, "出租必填", "出租集体的土地或资产须依据本村已通过的决议：填决议的标题，须与标题完全一致"
                                       "（租金总额不能超过决议批准的金额）；流转可不填", 22),
    ),
    rules=(
        "一行一块合同地块，从第2行起填写；合同编号相同的各行为同一份合同。第1行的表头请勿改动",
        "合同名称、类型、流入方、日期、用途、租金等合同的内容只需在合同的第一行填写；"
        "每行各自填写的只有：地块代码、计租面积（亩）、委托书编号、委托日期",
        "每份合同都按逐份登记时的规定检查（剩余承包期、农业用途、委托书、永久基本农田、地块是否已有合同），"
        "并生成每年应收租金",
        "整份文件检查无误才会导入，有错的行会逐行列出行号、列和原因",
    ),
    examples=(
        # an entrusted transfer of LJ-005's two parcels (1.9 of the 2 mu of the second) to a new company
        ("LJLZ-101", "东坡土地流转（粮食种植）", "流转", "青禾农业有限公司", "公司", "91371427MA3C00002X",
         "2026-03-01", "2031-03-01", "粮食种植", "2026-02-20", "现金", "800", "", "", "", "5", "3", "3", "1", "是",
         "WT-2026-01", "2026-01-10", "村民代表会议决议（2026-01-05）", "", "50", "2000", "3714271052010100031", "", ""),
        ("LJLZ-101", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
         "WT-2026-01", "2026-01-10", "", "", "", "", "3714271052010100032", "1.9", ""),
        # a household's own transfer, rent in grain at the year's minimum purchase price
        ("LJLZ-102", "5组南大片流转（实物计租）", "流转", "孙晓明", "个人", "", "2026-10-01", "2032-10-01",
         "粮食种植", "2026-09-15", "实物", "", "500", "稻谷", "最低收购价", "", "", "10", "15", "", "", "", "", "",
         "", "", "3714271052010500077", "", ""),
        # the collective's pond leased to the company of the first contract (its type given there) on a decision
        ("LJZL-101", "村东鱼塘发包（水产养殖）", "出租", "青禾农业有限公司", "", "", "2026-04-01", "2029-04-01",
         "水产养殖", "2026-03-20", "现金", "900", "", "", "", "", "", "4", "1", "", "", "", "", "", "", "", "LJ-JT-001",
         "", "集体土地和资产出租"),
    ),
)

TEMPLATES = {"parcels": PARCELS, "contracts": CONTRACTS}


def _table(ws: Any, t: Template, rows: Sequence[Sequence[str]], text_rows: int, header: str) -> None:
    """The importer's header row (bold, frozen, repeated on every printed page), then ``rows``; the text columns'
    cells down to row ``text_rows + 1`` and the columns themselves formatted as text."""
    ws.append(list(t.headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows:
        ws.append(list(row))  # every value a string: the codes and dates stay as written
    ws.freeze_panes = "A2"
    for i, column in enumerate(t.columns, start=1):
        if not column.text:
            continue
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].number_format = TEXT  # rows typed beyond
        for row_no in range(2, text_rows + 2):
            ws.cell(row=row_no, column=i).number_format = TEXT
    print_setup(ws, title_rows="1:1", header=header, widths=[c.width for c in t.columns])


def _notes(wb: Workbook, t: Template) -> None:
    ws = wb.create_sheet(NOTES)
    ws.append(["列", "是否必填", "怎么填"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for c in t.columns:
        ws.append([c.header, c.need, c.how])
        ws.cell(row=ws.max_row, column=3).alignment = wrap
    ws.append([])
    for rule in (*t.rules, f"示例见第三张表“{EXAMPLES}”（导入时不读）：可以整行复制到第一张表“{t.sheet}”，"
                           "再把其中的户号、地块代码等换成本村的"):
        ws.append(["", "", rule])
        ws.cell(row=ws.max_row, column=3).alignment = wrap
    print_setup(ws, title_rows="1:1", landscape=False, header=f"{t.what}填写说明", widths=[18, 20, 70])


def template(kind: str) -> BytesIO:
    """``kind``: ``parcels`` or ``contracts``."""
    t = TEMPLATES[kind]
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = t.sheet
    _table(first, t, (), TEXT_ROWS, f"{t.what}（导入模板）")
    _notes(wb, t)
    _table(wb.create_sheet(EXAMPLES), t, t.examples, len(t.examples), f"{t.what}示例")
    out = BytesIO()
    text_only(wb).save(out)
    out.seek(0)
    return out


__all__ = ["CONTRACTS", "PARCELS", "TEMPLATES", "template"]
