// 预警: each kind's Chinese label and what it means, and where each warning leads (the thing itself).
export const KINDS = {
  cash_over_limit: { title: '库存现金超限额', hint: '账面库存现金超过本村的现金限额，应及时存入银行。' },
  receivable_overdue: { title: '应收款逾期', hint: '合同约定的应收款（租金、承包费等）过了约定日期还没收到。' },
  contract_expiring: { title: '合同即将到期', hint: '合同 90 天内到期，需要续签、重新发包或收回。' },
  contract_no_decision: { title: '合同无决议依据', hint: '集体合同没有经过“四议两公开”通过的决议。' },
  expense_no_decision: { title: '大额支出无决议', hint: '已记账的大额支出没有注明已通过的“四议两公开”决议。' },
  asset_idle: { title: '资产闲置超一年', hint: '集体资产闲置超过一年，应研究出租、利用或处置。' },
  project_behind_plan: { title: '项目收益落后计划', hint: '已实施项目的实际收益比计划落后超过设定的比例。' },
  disclosure_overdue: { title: '财务公开逾期', hint: '上一季度的财务公开过了期限还没有公布。' },
  question_overdue: { title: '村民提问逾期未答复', hint: '村民对公开内容提的问题，已过答复期限。' },
  objection_overdue: { title: '异议逾期未答复', hint: '村民对公示中的分红名单、拟聘名单、成员名单或决策事项提出的异议，已过答复期限。' },
  decision_stuck: { title: '事项停滞', hint: '“四议两公开”的某个环节长时间没有推进。' },
  vote_low_turnout: { title: '投票参与率低', hint: '投票几天内截止，投票的人还不到应投人数的设定比例。' },
}

export const KIND_ORDER = Object.keys(KINDS)

export function kindTitle(w) {
  return KINDS[w.kind]?.title || w.label || '其他事项'
}

// the thing itself, for the types every screen opens the same way; null for the others
function direct(w) {
  const l = w.link || {}
  const vid = l.village_id || w.village?.id
  switch (l.type) {
    case 'asset': return `/assets/items/${l.id}`
    case 'fund': return '/assets/funds'
    case 'contract': return `/assets/contracts/${l.id}`
    case 'land_contract': return `/land/contracts/${l.id}`
    case 'project': return `/projects/${l.id}`
    case 'voucher': return { path: '/books/vouchers', query: { period: l.period, village: vid, voucher: l.id } }
    case 'disclosure': return `/disclosures/${l.id}`
    default: return null
  }
}

// from the township's 待办/预警: the rest open the village's page with this very warning marked
export function townshipLink(w) {
  const d = direct(w)
  if (d) return d
  const l = w.link || {}
  const vid = l.village_id || w.village?.id
  return { path: `/township/villages/${vid}`, query: l.type && l.type !== 'village' ? { focus: w.id } : {} }
}

// from the village's own 预警: its own screens
export function villageLink(w) {
  const d = direct(w)
  if (d) return d
  const l = w.link || {}
  switch (l.type) {
    case 'decision': return `/decisions/${l.id}`
    case 'vote': return '/decisions'
    case 'distribution': return `/dividends/plans/${l.id}`
    case 'membership_meeting': return `/membership/meetings/${l.id}`
    case 'job_posting': return `/village/jobs/${l.id}`
    case 'question': return '/supervision/published'
    case 'village': return '/books/disclosures'
    default: return null
  }
}

// grouped by kind in the labels' order (unknown kinds last)
export function groupByKind(items) {
  const byKind = new Map()
  for (const w of items) {
    if (!byKind.has(w.kind)) byKind.set(w.kind, [])
    byKind.get(w.kind).push(w)
  }
  const rank = (k) => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : 999)
  return [...byKind.keys()]
    .sort((a, b) => rank(a) - rank(b))
    .map((kind) => ({ kind, title: KINDS[kind]?.title || byKind.get(kind)[0].label || '其他事项', hint: KINDS[kind]?.hint || '', items: byKind.get(kind) }))
}
