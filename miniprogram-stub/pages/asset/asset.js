// 一项三资 (public): what it is, where, how big or how many, its value, its status in words — and, when it is rented
// out, to whom and until when (the lease contract the village signed). Fields the village keeps private are left out.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

const KIND_NAMES = { asset: '资产', resource: '资源', fund: '资金' }
const STATUS_CLASS = { in_use: 'good', leased: 'good', idle: 'warn', disposed: 'muted' }

function rowsOf(a) {
  const rows = [{ label: '类别', value: `${KIND_NAMES[a.kind] || ''} · ${a.category}`, cls: 'asset-category' }]
  if (a.location) rows.push({ label: a.kind === 'fund' ? '存放' : '位置', value: a.location, cls: 'asset-location' })
  if (a.area_mu) rows.push({ label: '面积', value: `${a.area_mu} 亩`, cls: 'asset-area' })
  else if (a.quantity) rows.push({ label: '数量', value: `${a.quantity} ${a.unit || ''}`.trim(), cls: 'asset-quantity' })
  if (a.book_value !== null && a.book_value !== undefined) {
    rows.push({ label: a.kind === 'fund' ? '账上余额' : '账面价值', value: fmt.money(a.book_value), cls: 'asset-value' })
  }
  if (a.acquired_name) rows.push({ label: '怎么来的', value: `${a.acquired_name}${a.acquired_on ? `，${fmt.date(a.acquired_on)}` : ''}`, cls: 'asset-acquired' })
  return rows
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    stale: '',
    id: null,
    asset: null,
    rows: [],
    lease: null,
    disposedText: '',
  },

  onLoad(query) {
    this.setData({ id: query && query.id })
    return this.refresh()
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const a = await api.get(`/assets/${this.data.id}`)
      wx.setNavigationBarTitle && wx.setNavigationBarTitle({ title: a.name })
      return {
        asset: { name: a.name, statusText: a.status_name || a.status, statusClass: STATUS_CLASS[a.status] || '' },
        rows: rowsOf(a),
        lease: a.lease ? {
          party: a.lease.party,
          title: a.lease.title,
          number: a.lease.number,
          fromText: fmt.date(a.lease.start_date),
          untilText: fmt.date(a.lease.end_date),
        } : null,
        disposedText: a.disposed_on ? `${fmt.date(a.disposed_on)}${a.disposal_name || '处置'}，不再是村集体的了。` : '',
      }
    })
  },
})
