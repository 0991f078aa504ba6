// 一个公益岗位: what the work is, where, the pay and the term, who may apply — and whether I may, and if not why —
// then "我要报名". After applying: the receipt (kept on the phone, sv_job_receipt_<id>) and what happens next.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')
const subscribe = require('../../utils/subscribe')
const objection = require('../../utils/objection')

const receiptOf = (id) => `sv_job_receipt_${id}`

function itemsOf(r) {
  return Array.isArray(r) ? r : (r && r.items) || []
}

function rulesOf(p) {
  const rules = []
  if (p.min_age || p.max_age) rules.push(`年龄 ${p.min_age || 16} 到 ${p.max_age || 65} 周岁`)
  const groups = (p.priority_groups || []).join('、')
  if (p.priority_only && groups) rules.push(`只有${groups}能报名`)
  else if (groups) rules.push(`${groups}优先`)
  if (p.one_per_household) rules.push('每户只能报一个人')
  if (p.exclude_cadre_families) rules.push('村干部和他们的家人不能报')
  return rules
}

function confirmApply(title) {
  return new Promise((resolve) => {
    wx.showModal({
      title: '请确认',
      content: `报名“${title}”？报名后等村里公布名单。`,
      confirmText: '确定报名',
      cancelText: '再想想',
      success: (r) => resolve(!!(r && r.confirm)),
      fail: () => resolve(false),
    })
  })
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    id: null,
    job: null,
    mine: null, // my application, from /me/job-applications
    receipt: '',
    applied: null, // the answer to my application just now
    canApply: false,
    whyNot: '',
    busy: false,
    actionError: '',
  },

  onLoad(query) {
    this.setData({ id: query && query.id })
    subscribe.prefetch() // the templates at hand before the tap that applies (never waited for)
    return this.refresh()
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const id = this.data.id
      const [p, apps] = await Promise.all([
        api.get(`/job-postings/${id}`),
        // the posting does not say whether I applied: my applications do
        api.get('/me/job-applications', { page_size: 100 }).then(itemsOf, () => []),
      ])
      const mine = apps.find((a) => String(a.posting.id) === String(id)) || null
      const e = p.eligibility
      const open = p.status === 'open'
      let whyNot = ''
      if (!open) whyNot = `这个岗位现在不报名了（${p.status_label || p.status}）`
      else if (mine) whyNot = ''
      else if (e && !e.ok) whyNot = `您不能报名：${e.reason || '不符合报名条件'}`
      return {
        job: {
          title: p.title,
          category: p.category || '',
          place: p.place || '',
          duties: p.duties || '',
          dutiesLines: (p.duties || '').split('\n').filter(Boolean),
          positionsText: `招 ${p.positions} 人`,
          wageText: fmt.money(p.monthly_wage),
          termText: p.term_months ? `${p.term_months} 个月` : '',
          funding: p.funding || '',
          fromText: fmt.dateTime(p.apply_from),
          untilText: fmt.dateTime(p.apply_until),
          statusText: p.status_label || p.status,
          open,
          rules: rulesOf(p),
          applicationsText: typeof p.applications === 'number' ? `已有 ${p.applications} 人报名` : '',
          priorityText: open && e && e.ok && e.priority ? '您家属于优先照顾的对象，选人时排在前面' : '',
          publicityText: p.publicity_until ? `名单公示到 ${fmt.date(p.publicity_until)}，有意见可以在下面提出` : '',
          applicants: (p.applicants || []).map((a) => ({
            key: a.receipt || `${a.rank}-${a.name}`,
            rank: a.rank,
            name: a.name,
            receipt: a.receipt || '',
            statusText: fmt.APPLICATION_STATUS[a.status] || a.status,
            priorityText: a.priority ? `优先（${a.priority_reason || ''}）` : '',
          })),
          // 公示: the objections' counts and my own (nobody else's words or name); 我有异议 while it runs
          inPublicity: !!p.in_publicity,
          objectionCountsText: objection.countsText(p.objection_counts),
          hasObjections: !!(p.objection_counts && p.objection_counts.count),
        },
        myObjections: (p.my_objections || []).map(objection.mine),
        mine: mine && {
          status: mine.status,
          statusText: fmt.APPLICATION_STATUS[mine.status] || mine.status_label || mine.status,
          updatedText: fmt.date(mine.updated_at),
        },
        // my receipt comes with my application, so a phone whose answer was lost (or another phone) shows it too
        receipt: (mine && mine.receipt) || wx.getStorageSync(receiptOf(id)) || '',
        canApply: open && !mine && !!(e && e.ok),
        whyNot,
      }
    })
  },

  async onApply() {
    if (this.data.busy || !this.data.job) return null
    if (!(await confirmApply(this.data.job.title))) return null
    // "抽签和聘用结果出来时通知我": WeChat's consent dialog needs a tap (the confirmation's), so it is asked now,
    // beside the application, never waited for: the application goes ahead whatever the answer
    subscribe.ask('job_apply')
    return this.apply()
  },

  async apply() {
    const id = this.data.id
    let failure = null
    const r = await ui.act(this, async () => {
      try {
        return await api.post(`/job-postings/${id}/applications`, {})
      } catch (err) {
        failure = err
        throw err
      }
    })
    if (r) {
      if (r.receipt) wx.setStorageSync(receiptOf(id), r.receipt)
      this.setData({
        applied: {
          statusText: fmt.APPLICATION_STATUS[r.status] || r.status,
          priorityText: r.priority ? `您属于优先照顾的对象（${r.priority_reason || ''}）` : '',
        },
        receipt: r.receipt || '',
        canApply: false,
        mine: { status: r.status, statusText: fmt.APPLICATION_STATUS[r.status] || r.status, updatedText: '' },
      })
      return r
    }
    if (!failure) return null
    if (['job.already_applied', 'job.household_applied', 'job.closed', 'job.not_eligible'].includes(failure.code)) {
      // the server has the last word: show the posting as it stands now (no button), the refusal stays on the page
      await this.refresh()
      // e.g. someone else in my household applied: the posting alone would still offer the button
      if (this.data.canApply || !(this.data.whyNot || this.data.mine)) {
        this.setData({ canApply: false, whyNot: failure.message })
      }
    }
    return null
  },

  ...objection.handlers((page, text) => objection.send(`/job-postings/${page.data.id}/objections`, text)),

  onCopyReceipt() {
    if (this.data.receipt) wx.setClipboardData({ data: this.data.receipt })
  },
})
