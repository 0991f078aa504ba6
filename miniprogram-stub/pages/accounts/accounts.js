// 集体账目: the collective's income and spending for a year by category, and the published quarterly or
// monthly disclosures (GET /villages/{id}/accounts/summary, GET /villages/{id}/disclosures).
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

const PAGE_SIZE = 20

function disclosureRow(d) {
  return {
    id: d.id,
    title: d.title || fmt.period(d.period),
    incomeText: fmt.money(d.income_total),
    expenseText: fmt.money(d.expense_total),
    publishedText: fmt.date(d.published_at),
  }
}

Page({
  data: { rootFontSize: '18px', loading: true, error: '', years: [], year: 0, summary: null, disclosures: [], hasMore: false, busy: false },

  onLoad(query) {
    this.villageId = query.village
    const thisYear = Number(new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 4)) // Beijing time
    this.setData({ years: [thisYear, thisYear - 1, thisYear - 2], year: thisYear })
    return this.refresh()
  },
  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  onYear(e) {
    this.setData({ year: Number(e.currentTarget.dataset.year) })
    return this.refresh()
  },

  refresh() {
    return ui.load(this, async () => {
      const [s, list] = await Promise.all([
        api.get(`/villages/${this.villageId}/accounts/summary`, { year: this.data.year }),
        api.get(`/villages/${this.villageId}/disclosures`, { page: 1, page_size: PAGE_SIZE }),
      ])
      this.page = 1
      return {
        summary: {
          incomeText: fmt.money(s.income_total),
          operatingText: fmt.money(s.operating_income),
          expenseText: fmt.money(s.expense_total),
          netText: s.net ? fmt.money(s.net) : '',
          // only the categories with money in them: a row of zeros tells a villager nothing
          categories: s.by_category
            .filter((c) => !fmt.isZero(c.income) || !fmt.isZero(c.expense))
            .map((c) => ({
              category: c.category,
              text: fmt.isZero(c.expense) ? `收入 ${fmt.money(c.income)}` : `支出 ${fmt.money(c.expense)}`,
            })),
        },
        disclosures: list.items.map(disclosureRow),
        hasMore: list.total > list.items.length,
      }
    })
  },

  async onMore() {
    await ui.act(this, async () => {
      const next = (this.page || 1) + 1
      const list = await api.get(`/villages/${this.villageId}/disclosures`, { page: next, page_size: PAGE_SIZE })
      this.page = next
      const disclosures = this.data.disclosures.concat(list.items.map(disclosureRow))
      this.setData({ disclosures, hasMore: list.total > disclosures.length })
    })
  },

  onReachBottom() {
    if (this.data.hasMore) return this.onMore()
    return null
  },

  goDisclosure(e) {
    wx.navigateTo({ url: `/pages/disclosure/disclosure?id=${e.currentTarget.dataset.id}` })
  },
})
