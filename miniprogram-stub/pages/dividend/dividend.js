// 分红明细: one year's dividend for my household — shares by type and member, per share, total, paid date
// (GET /me/dividends/{id}). While the list is posted (公示) a villager may object to it (我有异议,
// POST /distributions/{id}/objections): they see how many objections there are and their own, with the answer's
// due date and the answer — never anyone else's.
const api = require('../../utils/api')
const objection = require('../../utils/objection')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

Page({
  data: {
    rootFontSize: '18px', loading: true, error: '', components: [], members: [], shares_by_type: [],
    myObjections: [], objecting: false, objectionText: '', objectionError: '', objectionSent: '', busy: false,
  },

  onLoad(query) {
    this.id = query.id
    return this.refresh()
  },
  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const d = await api.get(`/me/dividends/${this.id}`)
      return {
        title: d.declaration.title,
        household: d.household || {},
        amountText: fmt.money(d.amount),
        status: d.status,
        statusText: fmt.label(fmt.DIVIDEND_STATUS, d.status),
        paidText: d.paid_at ? fmt.date(d.paid_at) : '',
        recordText: fmt.date(d.declaration.record_date),
        household_shares: d.household_shares,
        components: (d.components || []).map((c) => ({
          ...c, perShareText: fmt.money(c.per_share), amountText: fmt.money(c.amount),
        })),
        shares_by_type: d.shares_by_type || [],
        members: (d.members || []).map((m) => ({
          name: m.name,
          sharesText: m.shares_by_type.map((s) => `${s.name} ${s.shares} 股`).join('，') || '没有股份',
        })),
        seal: d.declaration.seal || '',
        inPublicity: !!d.in_publicity,
        publicityText: d.publicity_until ? fmt.date(d.publicity_until) : '',
        objectionCountsText: objection.countsText(d.objection_counts),
        myObjections: (d.my_objections || []).map(objection.mine),
      }
    })
  },

  ...objection.handlers((page, text) => objection.send(`/distributions/${page.id}/objections`, text)),
})
