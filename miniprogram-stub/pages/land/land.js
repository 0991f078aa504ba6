// 土地和租金: my household's parcels, the transfer contracts they are in, this year's rent due and paid,
// and the rent of past years (GET /me/land, GET /me/land/rent-history). Opened from the QR code of the printed
// land-rent 公示 (?year=2026), the rows of that year are marked (current: true).
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')


Page({
  data: { rootFontSize: '18px', loading: true, error: '', contracts: [], parcels: [], history: [], totalMu: '0' },

  onLoad(query) {
    this.year = (query && query.year) || ''
    return this.refresh()
  },
  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const [land, history] = await Promise.all([
        api.get('/me/land'),
        api.get('/me/land/rent-history', { page_size: 100 }),
      ])
      return {
        parcels: land.parcels,
        totalMu: fmt.sumMu(land.parcels.map((p) => p.area_mu)),
        contracts: land.contracts.map((c) => {
          const y = c.this_year || {}
          return {
            id: c.id,
            number: c.number,
            operator: c.operator,
            rent: c.rent,
            use: c.use,
            startText: fmt.date(c.start_date),
            endText: fmt.date(c.end_date),
            parcelsText: c.parcels.map((p) => `${p.name} ${p.area_mu} 亩`).join('，'),
            dueText: fmt.money(y.due),
            paidText: fmt.money(y.paid),
            // received by the village and not yet passed on to us: not paid, said apart
            awaitingText: fmt.isZero(y.awaiting) ? '' : fmt.money(y.awaiting),
            paidAll: y.status === 'paid',
            dueDateText: fmt.date(y.due_date),
            // how our own figure is made (the API's note: our area × the price, less what is withheld), with its
            // figures laid out above it
            myAreaText: y.my_area_mu ? `${y.my_area_mu} 亩` : '',
            priceText: y.price_per_mu ? `${fmt.money(y.price_per_mu)}/亩` : '',
            feeText: y.fee ? fmt.money(y.fee) : '',
            note: y.note || '',
          }
        }),
        history: history.items.map((h) => ({
          key: `${h.contract_id}-${h.year_no}`,
          periodText: `${fmt.date(h.period_start)}起一年`,
          paidText: `已到 ${fmt.money(h.paid)}，应得 ${fmt.money(h.due)}`,
          operator: h.operator,
          statusText: fmt.label(fmt.RENT_STATUS, h.status),
          current: !!this.year && String(h.period_start || '').slice(0, 4) === String(this.year),
        })),
      }
    })
  },
})
