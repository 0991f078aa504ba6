// 我家分红: each year's dividend for my household, newest first (GET /me/dividends).
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')
const subscribe = require('../../utils/subscribe')

function row(d) {
  return {
    id: d.declaration.id,
    title: d.declaration.title || `${d.declaration.year}年度分红`,
    year: d.declaration.year,
    household_shares: d.household_shares,
    amountText: fmt.money(d.amount),
    perShareText: fmt.money(d.declaration.per_share),
    status: d.status,
    statusText: fmt.label(fmt.DIVIDEND_STATUS, d.status),
    paidText: d.paid_at ? fmt.date(d.paid_at) : '',
  }
}

Page({
  data: { rootFontSize: '18px', loading: true, error: '', items: [], notifyText: '' },

  async onLoad() {
    const ok = await this.refresh()
    if (ok) await subscribe.prefetch() // the templates at hand before the tap that asks
    return ok
  },

  // "分红公示和发放时通知我" (the household's rent passed on too): WeChat's consent dialog; a refusal or a failure
  // changes nothing on the page
  async onNotifyMe() {
    const accepted = await subscribe.ask('dividends')
    if (accepted.length) this.setData({ notifyText: '好的，分红公示和发放时会通知您' })
    return accepted
  },
  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const r = await api.get('/me/dividends', { page_size: 100 })
      return { items: r.items.map(row) }
    })
  },

  goStatement(e) {
    wx.navigateTo({ url: `/pages/dividend/dividend?id=${e.currentTarget.dataset.id}` })
  },
})
