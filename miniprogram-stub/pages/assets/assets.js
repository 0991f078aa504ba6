// 三资: what the collective owns, in three sections — 资产 (buildings, shops, machines …), 资源 (water, land, orchards
// …), 资金 (bank and cash, as the books show them) — each with its total and every entry's name, category, value and
// status in words (在用、出租、闲置、已处置). Tap an entry for where it is and who rents it until when.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

const KINDS = [
  { kind: 'asset', name: '资产', note: '房屋、门面、机械设备、公益设施等' },
  { kind: 'resource', name: '资源', note: '水面、园地、林地、四荒地等' },
  { kind: 'fund', name: '资金', note: '银行存款和库存现金，按账本上的余额' },
]
const STATUS_CLASS = { in_use: 'good', leased: 'good', idle: 'warn', disposed: 'muted' }

function itemsOf(r) {
  return Array.isArray(r) ? r : (r && r.items) || []
}

function entryRow(a) {
  const amount = a.area_mu ? `${a.area_mu} 亩` : a.quantity ? `${a.quantity} ${a.unit || ''}`.trim() : ''
  return {
    id: a.id,
    name: a.name,
    category: a.category,
    amountText: amount,
    valueText: a.book_value === null || a.book_value === undefined ? '' : fmt.money(a.book_value),
    statusText: a.status_name || a.status,
    statusClass: STATUS_CLASS[a.status] || '',
    leaseText: a.lessee ? `租给${a.lessee}，到${fmt.date(a.lease_until)}` : '',
  }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    stale: '',
    villageId: null,
    tab: 'asset',
    sections: [],
    current: null,
    disposedCount: 0,
  },

  async onLoad(query) {
    this.setData({ villageId: (query && query.village) || null, tab: (query && query.tab) || 'asset' })
    return this.refresh()
  },

  async village() {
    if (this.data.villageId) return this.data.villageId
    const me = await getApp().loadMe()
    if (!me.village) throw new Error('您不是哪个村的村民，这里没有可看的三资')
    this.setData({ villageId: me.village.id })
    return me.village.id
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const id = await this.village()
      const [summary, list] = await Promise.all([
        api.get(`/villages/${id}/assets/summary`),
        api.get(`/villages/${id}/assets`, { page_size: 100 }),
      ])
      const items = itemsOf(list).filter((a) => a.status !== 'disposed')
      const sections = KINDS.map((k) => {
        const s = summary[k.kind] || {}
        const resource = k.kind === 'resource'
        return {
          kind: k.kind,
          name: k.name,
          note: k.note,
          totalLabel: { asset: '账面价值合计', resource: '面积合计', fund: '余额合计' }[k.kind],
          totalText: resource ? `${s.area_mu || 0} 亩` : fmt.money(s.book_value),
          countText: `${s.count || 0} 项`,
          entries: items.filter((a) => a.kind === k.kind).map(entryRow),
        }
      })
      return { sections, current: sections.find((s) => s.kind === this.data.tab) || sections[0], disposedCount: summary.disposed_count || 0 }
    })
  },

  onTab(e) {
    const tab = e.currentTarget.dataset.kind
    this.setData({ tab, current: this.data.sections.find((s) => s.kind === tab) || null })
  },

  goAsset(e) {
    wx.navigateTo({ url: `/pages/asset/asset?id=${e.currentTarget.dataset.id}` })
  },
})
