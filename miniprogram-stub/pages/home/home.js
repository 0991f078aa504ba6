// 首页: my village, this year's money, unread notices, open votes and the latest disclosure — one request
// (GET /me/home) so that a weak network costs one round trip. Staff also find 扫码登录管理端 here.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')
const consoleLogin = require('../../utils/console-login')

// The API's plain sentences: what reached us this year, then each thing still owed with its date (one past its
// date in red); when nothing is owed, its one sentence in green. Absent for someone without a household.
function summaryOf(s) {
  if (!s) return null
  const owed = s.owed_items.length
    ? s.owed_items.map((o, i) => ({ key: `${o.kind}-${i}`, text: o.text, cls: o.overdue ? 'warn' : '' }))
    : s.owed.map((text, i) => ({ key: `none-${i}`, text, cls: 'good' }))
  return { received: s.received, owed }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    name: '',
    village: null,
    township: null,
    money: null,
    summary: null,
    unreadNotices: 0,
    latestNotice: null,
    openVotes: [],
    latestDisclosure: null,
    largeText: false,
    isStaff: false,
  },

  onLoad() {
    return this.refresh()
  },

  onShow() {
    // back from voting or reading a notice: the counts may have changed
    if (this.loadedOnce) this.refresh()
  },

  onPullDownRefresh() {
    return this.refresh()
  },

  onRetry() {
    return this.refresh()
  },

  async refresh() {
    const ok = await ui.load(this, async () => {
      const home = await api.get('/me/home')
      const app = getApp()
      if (app && app.globalData) app.globalData.home = home
      const m = home.money_this_year
      const d = home.latest_disclosure
      return {
        name: (home.member && home.member.name) || home.name || '',
        village: home.village,
        township: home.township,
        money: {
          year: m.year,
          totalText: fmt.money(m.total),
          dividendsText: fmt.money(m.dividends),
          landText: fmt.money(m.land_rent),
          jobsText: fmt.money(m.job_pay),
        },
        summary: summaryOf(home.summary),
        unreadNotices: home.unread_notices,
        latestNotice: home.latest_notice,
        openVotes: home.open_votes.map((v) => ({ ...v, closesText: fmt.dateTime(v.closes_at) })),
        latestDisclosure: d && {
          ...d,
          incomeText: fmt.money(d.income_total),
          expenseText: fmt.money(d.expense_total),
          publishedText: fmt.date(d.published_at),
        },
        largeText: ui.largeText(),
        // staff log in to the computer's 管理端 by scanning its QR code with this phone
        isStaff: consoleLogin.isStaff(home.roles),
      }
    })
    if (ok) this.loadedOnce = true
    return ok
  },

  onLargeText(e) {
    ui.setLargeText(e.detail.value)
    this.setData({ largeText: !!e.detail.value, rootFontSize: ui.rootFontSize() })
  },

  onScanConsole() { return consoleLogin.scan() },

  goDividends() { wx.navigateTo({ url: '/pages/dividends/dividends' }) },
  goLand() { wx.navigateTo({ url: '/pages/land/land' }) },
  goAccounts() { wx.navigateTo({ url: `/pages/accounts/accounts?village=${this.data.village.id}` }) },
  goDecisions() { wx.navigateTo({ url: `/pages/decisions/decisions?village=${this.data.village.id}` }) },
  goJobs() { wx.navigateTo({ url: `/pages/jobs/jobs?village=${this.data.village.id}` }) },
  goAssets() { wx.navigateTo({ url: `/pages/assets/assets?village=${this.data.village.id}` }) },
  goContracts() { wx.navigateTo({ url: `/pages/contracts/contracts?village=${this.data.village.id}` }) },
  goProjects() { wx.navigateTo({ url: `/pages/projects/projects?village=${this.data.village.id}` }) },
  goNotices() { wx.navigateTo({ url: '/pages/notices/notices' }) },
  goVote(e) { wx.navigateTo({ url: `/pages/vote/vote?id=${e.currentTarget.dataset.id}` }) },
  goDisclosure(e) { wx.navigateTo({ url: `/pages/disclosure/disclosure?id=${e.currentTarget.dataset.id}` }) },
})
