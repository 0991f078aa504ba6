"""Chinese names of the request fields, for the validation message ("标题：不能为空；金额：必须大于 0").

A field's own ``metadata={"label": "…"}`` wins; else this dictionary by the field's name; else the first clause of
the field's ``description``; else "某一项". The keys of ``details.fields`` stay the field names (the console maps them
to its inputs): only the sentence is in Chinese.
"""

from __future__ import annotations

FIELD_LABELS: dict[str, str] = {
    # who and where
    "id": "编号", "name": "姓名", "code": "编码", "village_code": "村编码", "village_id": "村", "village_ids": "村",
    "villages": "村", "township_id": "乡镇", "township": "乡镇", "household_id": "户", "household_ids": "户",
    "household_number": "户号", "households": "户", "person_id": "人员", "person_ids": "人员", "member_id": "成员",
    "members": "成员", "head_id": "户主", "proxy_person_id": "代理人", "on_behalf_of": "被代理人",
    "id_card": "身份证号", "id_card_last6": "身份证号后6位", "id_number": "身份证号", "phone": "手机号",
    "phone_code": "手机号授权", "address": "地址", "gender": "性别", "birth_date": "出生日期", "relation": "与户主关系",
    "is_head": "是否户主", "is_collective_member": "是否集体成员", "is_tuopin": "是否脱贫户", "is_jiance": "是否监测户",
    "role": "角色", "roles": "角色", "audience": "发送对象", "representative": "代表", "party": "流入方",
    "party_id": "流入方", "holder": "持有人", "bank_name": "开户银行", "account_no": "银行账号",
    "credit_code": "统一社会信用代码", "browser": "浏览器", "key": "演示账号", "ticket": "登录码",
    "bind_ticket": "绑定凭证", "token": "登录凭证", "openid": "微信标识",
    # text
    "title": "标题", "body": "正文", "text": "内容", "summary": "摘要", "note": "备注", "reason": "原因",
    "description": "说明", "message": "内容", "answer": "回复", "opinion": "意见", "label": "名称",
    "return_reason": "退回原因", "erratum_reason": "更正原因", "end_reason": "终止原因", "cancelled_reason": "取消原因",
    "priority_reason": "优先理由", "purpose": "用途", "duties": "岗位职责", "place": "地点", "location": "位置",
    "minutes": "会议记录", "special_matter": "特别事项", "document_ref": "文件编号", "decision_ref": "决议编号",
    "fee_note": "费用说明", "excluded_note": "不参与说明", "declaration": "声明", "path": "地址",
    # money and numbers
    "amount": "金额", "total": "合计", "debit": "借方金额", "credit": "贷方金额", "price": "价格", "rent": "租金",
    "deposit": "押金", "fee": "费用", "fee_per_mu": "每亩费用", "per_mu": "每亩金额", "per_mu_yuan": "每亩金额",
    "per_share": "每股金额", "per_person": "每人金额", "per_unit": "单价", "pool": "分配总额",
    "dividend_total": "分红总额", "monthly_wage": "月工资", "subsidy_to": "补贴对象", "late_fee_per_10k": "滞纳金",
    "first_year_rent": "首年租金", "large_expense_threshold": "大额支出标准", "target_total": "收入目标",
    "target_operating": "经营性收入目标", "min_retain_percent": "最低提留比例", "increase_percent": "递增比例",
    "percent": "比例", "percent_bp": "比例", "count": "数量", "positions": "名额", "shares": "股份",
    "area_mu": "面积（亩）", "measured_mu": "实测面积（亩）", "days_worked": "出勤天数", "units": "份数",
    "min_age": "最低年龄", "max_age": "最高年龄", "term_months": "期限（月）", "increase_every": "递增间隔",
    "agree": "同意票", "oppose": "反对票", "abstain": "弃权票", "present": "到会人数", "attendance": "到会人数",
    # dates and periods
    "year": "年份", "month": "月份", "period": "期间", "date": "日期", "on": "日期", "paid_on": "付款日期",
    "due_on": "应付日期", "due_date": "应付日期", "due_day": "每年应付日", "due_month": "每年应付月份",
    "start_date": "开始日期", "end_date": "结束日期", "start_on": "开始日期", "end_on": "结束日期",
    "signed_on": "签订日期", "held_on": "召开日期", "opens_at": "开始时间", "closes_at": "截止时间",
    "apply_from": "报名开始日期", "apply_until": "报名截止日期", "publicity_until": "公示截止日期",
    "effective_on": "生效日期", "record_date": "登记日期", "voucher_date": "凭证日期", "issued_on": "发放日期",
    "accepted_on": "验收日期", "agreed_on": "约定日期", "filed_on": "提交日期", "raised_on": "提出日期",
    "since": "开始日期", "until": "截止日期", "from_year": "起始年份", "to_year": "截止年份",
    "first_due_date": "首期应付日期", "entrustment_on": "委托日期", "contract_until": "合同到期日",
    "year_start": "年度开始", "year_start_date": "年度开始日期", "expires_at": "到期时间",
    # references and choices
    "due_id": "应收款", "contract_id": "合同", "parcel_id": "地块", "decision_id": "决议", "disclosure_id": "公开",
    "vote_id": "表决", "posting_id": "岗位", "voucher_id": "凭证", "voucher_ids": "凭证", "share_type_id": "股份类型",
    "template_id": "模板", "corrects_id": "更正的记录", "account_code": "科目代码", "parent_code": "上级科目代码",
    "account_name": "科目名称", "number": "编号", "voucher_no": "凭证号", "contract_number": "合同编号",
    "certificate_no": "股权证号", "agreement_no": "协议编号", "entrustment_no": "委托书编号", "line_no": "行号",
    "kind": "类型", "type": "类型", "category": "类别", "status": "状态", "stage": "阶段", "method": "方式",
    "channel": "渠道", "source": "来源", "choice": "选项", "land_type": "土地类型", "rent_kind": "租金方式",
    "price_basis": "计价方式", "area_basis": "面积依据", "basis": "依据", "unit": "单位", "level": "级别",
    "grade": "等级", "meeting_form": "会议形式", "decision_body": "决策机构", "operator": "经营方",
    "operator_kind": "经营方类型", "funding": "资金来源", "variant": "方式", "action": "操作类型",
    "priority": "优先", "priority_only": "只看优先", "one_per_household": "每户限一人", "pinned": "置顶",
    "active": "是否有效", "dry_run": "只检查不导入", "exclude_cadre_families": "排除村干部家属",
    "basic_farmland": "基本农田", "entrusted": "是否委托", "collective": "集体", "q": "搜索内容",
    # lists and parts
    "lines": "明细", "items": "条目", "rows": "行", "parcels": "地块", "attachments": "附件", "components": "组成",
    "stages": "阶段", "allocations": "分配", "receipts": "收据", "records": "记录", "changes": "变更",
    "votes": "票", "attendees": "到会人员", "shares_by_type": "各类股份", "entrustment_scope": "委托范围",
    "file": "文件", "page": "页码", "page_size": "每页条数",
    # --- roster (issue 18)
    # --- membership (issue 18)
    "grounds": "申请依据", "application_id": "申请", "applications": "表决的申请", "starts_on": "公示开始日期",
    # --- decisions console (issue 18)
    "attendee_ids": "实到人员", "outcome": "会议结果",
    # --- assisted (issue 18)
    "member_confirmed": "本人当面确认",
    "id_last4": "身份证后4位",
    "present_confirmed": "成员本人在场",
    # --- jobs and notices console (issue 18)
    # --- books console (issue 19, H1)
    # --- reports and disclosures console (issue 19, H5)
    # --- dividends console (issue 19, H2)
    "excluded": "扣除金额", "sort": "排序方式", "masked": "按公示样子显示", "delta": "变动股数",
    # --- land console and payouts (issue 19, H3)
    "allocation_id": "农户", "allocation_ids": "农户", "receiver_name": "领款人", "bank_reference": "银行回单号",
    # --- 公示 sheets (issue 19, H4)
}

GENERIC_LABEL = "某一项"
