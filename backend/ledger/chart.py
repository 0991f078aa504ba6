"""The chart of accounts of the 2023 农村集体经济组织会计制度 (财会〔2023〕14号), 42 first-level accounts.

Source: the 会计科目 table of 财会〔2023〕14号, in the order 1–42 that third-party code annotates it with (to be
checked against the official PDF before release). Each entry: code, name, class, whether its balance is normally a
debit, and for income and expense accounts the 财务公开 category they report under.

Income and expense categories (what a villager sees on a disclosure) are derived from the accounts: an
account reports under its own ``category``, else its parent's. 发包及上交收入 no longer exists as a
first-level account in 2023 (it was split into 经营收入 and 投资收益); villages that still show it keep a
sub-account 501001 发包及上交收入 under 经营收入, seeded for every village.

**Operating income (经营性收入)** — the figure behind a township's targets such as "total ≥ 8万 and operating
≥ 2万" — is defined once, here: the credit-side movement of 501 经营收入 and 502 投资收益 and their
sub-accounts, i.e. collective income the village earns from its own assets and business; 503 补助收入
(subsidies) and 504 其他收入 (donations, windfalls) count towards total income but not operating income.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartEntry:
    code: str
    name: str
    klass: str
    debit_normal: bool
    category: str | None = None
    parent: str | None = None


A, L, E, C, INC, EXP = "asset", "liability", "equity", "cost", "income", "expense"

CHART_2023: tuple[ChartEntry, ...] = (
    ChartEntry("101", "库存现金", A, True),
    ChartEntry("102", "银行存款", A, True),
    ChartEntry("111", "短期投资", A, True),
    ChartEntry("112", "应收款", A, True),
    ChartEntry("113", "内部往来", A, True),
    ChartEntry("121", "库存物资", A, True),
    ChartEntry("131", "消耗性生物资产", A, True),
    ChartEntry("132", "生产性生物资产", A, True),
    ChartEntry("133", "生产性生物资产累计折旧", A, False),
    ChartEntry("134", "公益性生物资产", A, True),
    ChartEntry("141", "长期投资", A, True),
    ChartEntry("151", "固定资产", A, True),
    ChartEntry("152", "累计折旧", A, False),
    ChartEntry("153", "在建工程", A, True),
    ChartEntry("154", "固定资产清理", A, True),
    ChartEntry("161", "无形资产", A, True),
    ChartEntry("162", "累计摊销", A, False),
    ChartEntry("171", "长期待摊费用", A, True),
    ChartEntry("181", "待处理财产损溢", A, True),
    ChartEntry("201", "短期借款", L, False),
    ChartEntry("211", "应付款", L, False),
    ChartEntry("212", "应付工资", L, False),
    ChartEntry("213", "应付劳务费", L, False),
    ChartEntry("214", "应交税费", L, False),
    ChartEntry("221", "长期借款及应付款", L, False),
    ChartEntry("231", "一事一议资金", L, False),
    ChartEntry("241", "专项应付款", L, False),
    ChartEntry("301", "资本", E, False),
    ChartEntry("311", "公积公益金", E, False),
    ChartEntry("321", "本年收益", E, False),
    ChartEntry("322", "收益分配", E, False),
    ChartEntry("401", "生产(劳务)成本", C, True),
    ChartEntry("501", "经营收入", INC, False, "经营收入"),
    ChartEntry("502", "投资收益", INC, False, "投资收益"),
    ChartEntry("503", "补助收入", INC, False, "补助收入"),
    ChartEntry("504", "其他收入", INC, False, "其他收入"),
    ChartEntry("511", "经营支出", EXP, True, "经营支出"),
    ChartEntry("512", "税金及附加", EXP, True, "税金及附加"),
    ChartEntry("513", "管理费用", EXP, True, "管理费用"),
    ChartEntry("514", "公益支出", EXP, True, "公益支出"),
    ChartEntry("515", "其他支出", EXP, True, "其他支出"),
    ChartEntry("521", "所得税费用", EXP, True, "所得税费用"),
)

# Sub-accounts every village starts with (it may add its own).
DEFAULT_SUBACCOUNTS: tuple[ChartEntry, ...] = (
    ChartEntry("501001", "发包及上交收入", INC, False, "发包及上交收入", parent="501"),
    ChartEntry("501002", "租赁收入", INC, False, None, parent="501"),
    ChartEntry("501003", "其他经营收入", INC, False, None, parent="501"),
    ChartEntry("322001", "未分配收益", E, False, None, parent="322"),
    ChartEntry("322002", "各项分配", E, False, None, parent="322"),
)

OPERATING_INCOME_CODES = ("501", "502")
INCOME_CATEGORIES = ("经营收入", "发包及上交收入", "投资收益", "补助收入", "其他收入")
EXPENSE_CATEGORIES = ("经营支出", "税金及附加", "管理费用", "公益支出", "其他支出", "所得税费用")

# The 2004 chart (财会〔2004〕12号) by name → the 2023 code, for opening new books from old ones.
# Codes 502, 511 and 521 mean different things in the two charts, so old books are mapped by NAME.
MAP_2004_BY_NAME: dict[str, str] = {
    "现金": "101",
    "银行存款": "102",
    "短期投资": "111",
    "应收款": "112",
    "内部往来": "113",
    "库存物资": "121",
    "牲畜(禽)资产": "131",
    "林木资产": "132",
    "长期投资": "141",
    "固定资产": "151",
    "累计折旧": "152",
    "固定资产清理": "154",
    "在建工程": "153",
    "无形资产": "161",
    "短期借款": "201",
    "应付款": "211",
    "应付工资": "212",
    "应付福利费": "211",  # deleted in 2023: carried as a payable until settled
    "长期借款及应付款": "221",
    "一事一议资金": "231",
    "专项应付款": "241",
    "资本": "301",
    "公积公益金": "311",
    "本年收益": "321",
    "收益分配": "322001",  # 322 has sub-accounts: old 收益分配 balances are 未分配收益
    "生产(劳务)成本": "401",
    "经营收入": "501003",  # 501 has sub-accounts in every village: old 经营收入 lands in 其他经营收入
    "发包及上交收入": "501001",
    "投资收益": "502",
    "补助收入": "503",
    "其他收入": "504",
    "农业税附加返还收入": "504",  # deleted in 2023
    "经营支出": "511",
    "管理费用": "513",
    "其他支出": "515",
}
