// 通知公告: notices from the township and the village, pinned ones first, the ones not read yet marked 未读.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')
const subscribe = require('../../utils/subscribe')

const SOURCE_WORDS = { township: '镇里', village: '村里' }
const PAGE_SIZE = 50

function row(n) {
  const from = SOURCE_WORDS[n.source] || ''
  return {
    id: n.id,
    title: n.title,
    pinned: !!n.pinned,
    read: !!n.read,
    category: n.category || '',
    sourceText: [from, n.source_name].filter(Boolean).join(' · '),
    dateText: fmt.date(n.published_at),
  }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    items: [],
    total: 0,
    page: 1,
    unread: 0,
    loadingMore: false,
    moreError: '',
    notifyText: '', // after "有新通知时提醒我" was accepted
  },

  async onLoad() {
    const ok = await this.refresh()
    if (ok) this.loadedOnce = true
    if (ok) await subscribe.prefetch() // the templates at hand before the tap that asks
    return ok
  },

  onShow() {
    // back from a notice: it is read now
    if (this.loadedOnce) return this.refresh()
    return null
  },

  // "有新通知时提醒我": WeChat's consent dialog; a refusal or a failure changes nothing on the page
  async onNotifyMe() {
    const accepted = await subscribe.ask('notices')
    if (accepted.length) this.setData({ notifyText: '好的，有新通知时会提醒您' })
    return accepted
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const r = await api.get('/me/notices', { page: 1, page_size: PAGE_SIZE })
      const items = r.items.map(row)
      return { items, total: r.total, page: 1, moreError: '', unread: items.filter((n) => !n.read).length }
    })
  },

  async onReachBottom() {
    const { items, total, page, loadingMore, loading, error } = this.data
    if (loading || error || loadingMore || items.length >= total) return false
    this.setData({ loadingMore: true, moreError: '' })
    try {
      const r = await api.get('/me/notices', { page: page + 1, page_size: PAGE_SIZE })
      const seen = new Set(items.map((n) => n.id))
      const all = items.concat(r.items.filter((n) => !seen.has(n.id)).map(row))
      this.setData({ items: all, total: r.total, page: page + 1, loadingMore: false, unread: all.filter((n) => !n.read).length })
      return true
    } catch (err) {
      this.setData({ loadingMore: false, moreError: err.message })
      return false
    }
  },

  onMoreRetry() { return this.onReachBottom() },

  goNotice(e) {
    wx.navigateTo({ url: `/pages/notice/notice?id=${e.currentTarget.dataset.id}` })
  },
})
