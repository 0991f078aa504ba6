// 财务公开: one published disclosure — every line, the large items with the decision each rests on, who of the
// supervision committee approved it, villagers' questions and the answers, and its seal checked on the phone
// itself: seal = sha256(prev_seal + "\n" + sealed_content) (GET /disclosures/{id}), with the seal's short code as the
// paper on the village's notice board prints it (the paper's QR code opens this page: ?id=<disclosure>).
// Each line shows its number (第 N 笔) and a 提问 button that fills it in; questions are public in count, private
// in author: the page shows how many there are and my own, each with its due date and the answer.
const api = require('../../utils/api')
const objection = require('../../utils/objection')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')
const subscribe = require('../../utils/subscribe')
const { verifySeal } = require('../../utils/sha256')

Page({
  data: {
    rootFontSize: '18px', loading: true, error: '', lines: [], largeItems: [], questions: [],
    askLine: '', askText: '', askError: '', askSent: '', busy: false,
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
        sealShort: d.seal_short_code || '',
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
        questionCountsText: objection.countsText(d.question_counts, '提问'),
        // the API gives a villager only their own questions (staff: all of them)
        questions: (d.questions || []).map((q) => ({ ...q, ...objection.mine(q) })),
      }
    })
  },

  onAskLine(e) { this.setData({ askLine: e.detail.value }) },
  // 提问 beside a line: the form below with that line's number filled in
  onAskAbout(e) {
    this.setData({ askLine: String(e.currentTarget.dataset.line), askError: '', askSent: '' })
    if (wx.pageScrollTo) wx.pageScrollTo({ selector: '.questions', duration: 200 })
  },
  onAskText(e) { this.setData({ askText: e.detail.value }) },

  async onAsk() {
    const lineNo = Number(this.data.askLine)
    const text = (this.data.askText || '').trim()
    if (!Number.isInteger(lineNo) || !this.data.lines.some((l) => l.line_no === lineNo)) {
      this.setData({ askError: `请填第几笔：1 到 ${this.data.lines.length} 之间的数字，或点那一笔旁边的“提问”` })
      return
    }
    if (!text) {
      this.setData({ askError: '请写下您的问题' })
      return
    }
    if (text.length > objection.MAX) {
      this.setData({ askError: `最多${objection.MAX}个字，现在有${text.length}个字` })
      return
    }
    this.setData({ askError: '' })
    const q = await ui.act(this, () => {
      subscribe.ask('objection') // 答复了告诉我: from the same tap, never waited for
      return api.post(`/disclosures/${this.id}/questions`, { line_no: lineNo, text })
    })
    if (q) {
      this.setData({ askLine: '', askText: '' })
      await this.refresh()
      this.setData({ askSent: `已收到，村里须在 ${objection.monthDay(q.due_on)}前答复` })
    }
  },

  goDecision(e) {
    wx.navigateTo({ url: `/pages/decision/decision?id=${e.currentTarget.dataset.id}` })
  },
})
