// 项目详情: one project as a villager reads it — the seven steps in order with their dates and who did them, the
// money behind it by source, and this year's income month by month against the plan, in plain rows.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

function stepRow(s, current, active) {
  let state = '还没办'
  if (s.done) state = fmt.date(s.done_on)
  else if (active && s.step === current + 1) state = s.step === 5 ? '等镇里审批' : '下一步'
  return {
    step: s.step,
    name: `${s.step}. ${s.name}`,
    stateText: state,
    whoText: s.done ? `${s.done_by || ''}办理${s.decision ? `，依据“${s.decision.title}”` : ''}` : '',
    done: s.done,
  }
}

// this year's months (Beijing calendar) that have a plan or income: "3月 计划 3,800.00 元 实际 3,900.00 元"
function monthRows(months, year) {
  return months
    .filter((m) => m.month.startsWith(`${year}-`) && (m.planned !== null || m.actual !== null))
    .map((m) => ({
      month: m.month,
      monthText: `${Number(m.month.slice(5, 7))}月`,
      plannedText: fmt.money(m.planned),
      actualText: m.actual === null ? '还没到' : fmt.money(m.actual),
      short: m.actual !== null && m.planned !== null && Number(m.actual) < Number(m.planned),
    }))
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    stale: '',
    id: null,
    project: null,
    steps: [],
    funds: [],
    months: [],
    yearText: '',
    totals: null,
  },

  async onLoad(query) {
    this.setData({ id: query && query.id })
    return this.refresh()
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const p = await api.get(`/projects/${this.data.id}`)
      const year = new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear()
      const months = monthRows(p.months || [], year)
      return {
        project: {
          title: p.title,
          category: p.category,
          stageText: p.stage,
          investmentText: fmt.money(p.planned_investment),
          description: p.description || '',
          implemented: p.status === 'implemented',
          incomeText: fmt.money(p.income_to_date),
          behind: !!p.behind_plan,
          behindText: p.behind_plan
            ? `到${fmt.period(p.checked_month)}为止，累计收入 ${fmt.money(p.cum_actual)}，计划是 ${fmt.money(p.cum_planned)}，差得比较多`
            : '',
        },
        steps: p.steps.map((s) => stepRow(s, p.step, p.status === 'active')),
        funds: p.funds_by_source.map((f) => ({ source: f.source, amountText: fmt.money(f.amount) })),
        fundsTotalText: fmt.money(p.funds_total),
        months,
        yearText: `${year}年`,
      }
    })
  },
})
