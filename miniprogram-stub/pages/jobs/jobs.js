// 公益岗位: the village's postings open for applications (title, kind of work, how many people, monthly pay, last day
// to apply) and what became of my own applications.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

function postingRow(p) {
  return {
    id: p.id,
    title: p.title,
    category: p.category || '',
    positionsText: `招 ${p.positions} 人`,
    wageText: fmt.money(p.monthly_wage),
    untilText: fmt.dateTime(p.apply_until),
  }
}

function applicationRow(a) {
  return {
    id: a.posting.id,
    title: a.posting.title,
    status: a.status,
    statusText: fmt.APPLICATION_STATUS[a.status] || a.status_label || a.status,
    statusClass: a.status === 'hired' || a.status === 'selected' ? 'good' : a.status === 'ineligible' ? 'warn' : '',
    updatedText: fmt.date(a.updated_at),
  }
}

function itemsOf(r) {
  return Array.isArray(r) ? r : (r && r.items) || []
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    villageId: null,
    postings: [],
    applications: [],
    applicationsError: '',
  },

  async onLoad(query) {
    this.setData({ villageId: (query && query.village) || null })
    const ok = await this.refresh()
    if (ok) this.loadedOnce = true
    return ok
  },

  // the village in the query, or else the caller's own
  async village() {
    if (this.data.villageId) return this.data.villageId
    const me = await getApp().loadMe()
    if (!me.village) throw new Error('您不是哪个村的村民，这里没有可看的岗位')
    this.setData({ villageId: me.village.id })
    return me.village.id
  },

  onShow() {
    // back from applying: my applications changed
    if (this.loadedOnce) this.refresh()
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const [postings, applications] = await Promise.all([
        api.get(`/villages/${await this.village()}/job-postings`, { page_size: 100 }),
        // my applications failing to load must not hide the postings
        api.get('/me/job-applications', { page_size: 100 }).then(itemsOf, (err) => err),
      ])
      const appsFailed = applications instanceof Error
      return {
        postings: itemsOf(postings).map(postingRow),
        applications: appsFailed ? [] : applications.map(applicationRow),
        applicationsError: appsFailed ? applications.message : '',
      }
    })
  },

  goJob(e) {
    wx.navigateTo({ url: `/pages/job/job?id=${e.currentTarget.dataset.id}` })
  },
})
