// 财务公开: one published disclosure — every line, the large items with the decision each rests on, who of the
// supervision committee approved it, villagers' questions and the answers, and its seal checked on the phone
// itself: seal = sha256(prev_seal + "\n" + sealed_content) (GET /disclosures/{id}).
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')
const { verifySeal } = require('../../utils/sha256')

Page({
  data: {
    rootFontSize: '18px', loading: true, error: '', lines: [], largeItems: [], questions: [],
    askLine: '', askText: '', askError: '', busy: false,
  },

  onLoad(query) {
    this.id = query.id
    return this.refresh()
  },
  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  refresh() {
    return ui.load(this, async () => {
      const d = await api.get(`/disclosures/${this.id}`)
      return {
        title: d.title,
        periodText: fmt.period(d.period),
        publishedText: fmt.date(d.published_at),
        approvedBy: d.approved_by || '',
        correctedBy: d.corrected_by || null,
        incomeText: fmt.money(d.income_total),
        expenseText: fmt.money(d.expense_total),
        seal: d.seal,
        prevSeal: d.prev_seal,
        sealOk: verifySeal(d.prev_seal, d.sealed_content, d.seal),
        largeItems: (d.large_items || []).map((it) => ({
          ...it,
          dateText: fmt.date(it.date),
          amountText: fmt.money(it.amount),
          decision: it.decision && { ...it.decision, resolvedText: fmt.date(it.decision.resolved_on) },
        })),
        lines: d.lines.map((l) => ({
          line_no: l.line_no,
          summary: l.summary,
          category: l.category,
          dateText: fmt.date(l.date),
          isIncome: !fmt.isZero(l.income),
          amountText: fmt.money(fmt.isZero(l.income) ? l.expense : l.income),
        })),
        questions: (d.questions || []).map((q) => ({ ...q, dueText: fmt.date(q.due_on) })),
      }
    })
  },

  onAskLine(e) { this.setData({ askLine: e.detail.value }) },
  onAskText(e) { this.setData({ askText: e.detail.value }) },

  async onAsk() {
    const lineNo = Number(this.data.askLine)
    const text = (this.data.askText || '').trim()
    if (!Number.isInteger(lineNo) || lineNo < 1 || lineNo > this.data.lines.length) {
      this.setData({ askError: `请填第几笔：1 到 ${this.data.lines.length} 之间的数字` })
      return
    }
    if (!text) {
      this.setData({ askError: '请写下您的问题' })
      return
    }
    this.setData({ askError: '' })
    const ok = await ui.act(this, () => api.post(`/disclosures/${this.id}/questions`, { line_no: lineNo, text }))
    if (ok) {
      wx.showToast({ title: '已提交，村里会回答', icon: 'none' })
      this.setData({ askLine: '', askText: '' })
      await this.refresh()
    }
  },

  goDecision(e) {
    wx.navigateTo({ url: `/pages/decision/decision?id=${e.currentTarget.dataset.id}` })
  },
})
