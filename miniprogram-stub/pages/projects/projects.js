// 集体经济项目: the village's project library as a villager reads it — each project's name, where it stands in the
// seven steps (当前环节, in words), its support funds (扶持资金) and the income it has brought (累计收入).
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

function projectRow(p) {
  return {
    id: p.id,
    title: p.title,
    category: p.category,
    stageText: p.stage || p.step_name,
    stepText: `第 ${p.step} 步 / 共 7 步`,
    fundsText: fmt.money(p.support_funds),
    incomeText: p.status === 'implemented' ? fmt.money(p.income_to_date) : '还没实施，没有收入',
    behind: !!p.behind_plan,
  }
}

function itemsOf(r) {
  return Array.isArray(r) ? r : (r && r.items) || []
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    stale: '',
    villageId: null,
    projects: [],
  },

  async onLoad(query) {
    this.setData({ villageId: (query && query.village) || null })
    return this.refresh()
  },

  // the village in the query, or else the caller's own
  async village() {
    if (this.data.villageId) return this.data.villageId
    const me = await getApp().loadMe()
    if (!me.village) throw new Error('您不是哪个村的村民，这里没有可看的项目')
    this.setData({ villageId: me.village.id })
    return me.village.id
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const r = await api.get(`/villages/${await this.village()}/projects`, { page_size: 100 })
      return { projects: itemsOf(r).map(projectRow) }
    })
  },

  goProject(e) {
    wx.navigateTo({ url: `/pages/project/project?id=${e.currentTarget.dataset.id}` })
  },
})
