// 村里的决策（四议两公开）: the village's decisions, newest first — each one's title, which of the six steps it has
// reached, and how it stands. A long list comes 20 at a time: scrolling to the bottom loads the next 20.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

const PAGE_SIZE = 20

function stageText(d) {
  if (d.status === 'done') return '六个步骤都已完成'
  if (!d.stage) return '没有分步骤的记录'
  const n = fmt.STAGES.indexOf(d.stage)
  return n >= 0 ? `现在到了第${n + 1}步（共6步）：${d.stage}` : `现在到了：${d.stage}`
}

function row(d) {
  return {
    id: d.id,
    title: d.title,
    stageText: stageText(d),
    status: d.status,
    statusText: fmt.label(fmt.DECISION_STATUS, d.status),
    statusClass: d.status === 'failed' ? 'tag-warn' : '',
    amountText: d.amount ? fmt.money(d.amount) : '',
    updatedText: fmt.date(d.updated_at),
  }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    villageId: null,
    items: [],
    total: 0,
    page: 1,
    loadingMore: false,
    moreError: '',
  },

  onLoad(query) {
    this.setData({ villageId: (query && query.village) || null })
    return this.refresh()
  },

  // the village in the query, or else the caller's own
  async village() {
    if (this.data.villageId) return this.data.villageId
    const me = await getApp().loadMe()
    if (!me.village) throw new Error('您不是哪个村的村民，这里没有可看的决策')
    this.setData({ villageId: me.village.id })
    return me.village.id
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const r = await api.get(`/villages/${await this.village()}/decisions`, { page: 1, page_size: PAGE_SIZE })
      return { items: r.items.map(row), total: r.total, page: 1, moreError: '' }
    })
  },

  // the next 20, when there are more than are shown
  async onReachBottom() {
    const { items, total, page, loadingMore, loading, error } = this.data
    if (loading || error || loadingMore || items.length >= total) return false
    this.setData({ loadingMore: true, moreError: '' })
    try {
      const r = await api.get(`/villages/${this.data.villageId}/decisions`, { page: page + 1, page_size: PAGE_SIZE })
      const seen = new Set(items.map((d) => d.id))
      const added = r.items.filter((d) => !seen.has(d.id)).map(row) // a decision added meanwhile shifts the pages
      this.setData({ items: items.concat(added), total: r.total, page: page + 1, loadingMore: false })
      return true
    } catch (err) {
      this.setData({ loadingMore: false, moreError: err.message })
      return false
    }
  },

  onMoreRetry() { return this.onReachBottom() },

  goDecision(e) {
    wx.navigateTo({ url: `/pages/decision/decision?id=${e.currentTarget.dataset.id}` })
  },
})
