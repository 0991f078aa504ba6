// 集体合同: the village's contracts for its villagers (合同公开): what each is, who with, how much, for how long and
// how long it still runs — land transfers and leases beside the collective's services, construction and asset leases.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

function leftText(c) {
  if (c.status === 'terminated') return '已终止'
  if (c.days_left === null || c.days_left === undefined || c.days_left < 0) return '已到期'
  if (c.days_left === 0) return '今天到期'
  return `还有 ${c.days_left} 天到期`
}

function contractRow(c) {
  return {
    key: c.key,
    title: c.title,
    kindText: c.kind_label,
    counterparty: c.counterparty,
    amountText: fmt.money(c.amount),
    directionText: c.direction === 'expense' ? '村集体付给对方' : '对方付给村集体',
    termText: `${fmt.date(c.start_date)} 至 ${fmt.date(c.end_date)}`,
    leftText: leftText(c),
    soon: c.status === 'active' && c.days_left !== null && c.days_left <= 90,
  }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    stale: '',
    villageId: null,
    contracts: [],
    total: 0,
  },

  onLoad(query) {
    this.setData({ villageId: (query && query.village) || null })
    return this.refresh()
  },

  async village() {
    if (this.data.villageId) return this.data.villageId
    const me = await getApp().loadMe()
    if (!me.village) throw new Error('您不是哪个村的村民，这里没有可看的合同')
    this.setData({ villageId: me.village.id })
    return me.village.id
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const r = await api.get(`/villages/${await this.village()}/contracts`, { page_size: 100 })
      return { contracts: r.items.map(contractRow), total: r.total }
    })
  },
})
