// 我有异议: what the dividend, job and decision pages share about objecting to something posted for 公示 (and the
// disclosure page about a question on one line). Objections are public in count, private in author: the API gives
// a page `objection_counts` ({count, answered, overdue}) and the reader's own `my_objections`, each with its due
// date and the answer; nobody else's name or words.
const api = require('./api')
const fmt = require('./format')
const subscribe = require('./subscribe')
const ui = require('./ui')

const MAX = 500 // what the API takes in one objection

// "2026-12-13" → "12月13日": the day the village must answer by
function monthDay(iso) {
  const m = /^\d{4}-(\d{2})-(\d{2})/.exec(iso || '')
  return m ? `${Number(m[1])}月${Number(m[2])}日` : ''
}

// one of my objections (or questions) in plain words: answered, waiting (and until when), or overdue
function mine(o) {
  let status
  let cls
  if (o.answer) {
    status = `已答复：${o.answer}`
    cls = 'good'
  } else if (o.overdue) {
    status = `已逾期，已报镇里（答复期限 ${monthDay(o.due_on)}）`
    cls = 'warn'
  } else {
    status = `等待答复，期限 ${monthDay(o.due_on)}`
    cls = 'muted'
  }
  return { id: o.id, text: o.text, raisedText: fmt.date(o.raised_at || o.asked_at || o.raised_on), status, cls }
}

// the counts in one sentence ("共 3 条异议，已答复 2 条，逾期未答复 1 条"); '' when there are none
function countsText(c, noun = '异议') {
  if (!c || !c.count) return `还没有人提出${noun}`
  let s = `共 ${c.count} 条${noun}，已答复 ${c.answered} 条`
  if (c.overdue) s += `，逾期未答复 ${c.overdue} 条`
  return s
}

// the text box's own check, before the network: the same words as the API's refusal
function check(text) {
  const t = (text || '').trim()
  if (!t) return { error: '请写下异议的内容' }
  if (t.length > MAX) return { error: `最多${MAX}个字，现在有${t.length}个字` }
  return { text: t }
}

// sends it; resolves with the sentence to show ("已收到，村里须在 12月13日前答复") or null when it failed (the
// page's act() has shown why). Asks for consent to be told of the answer from the same tap, never waited for.
async function send(url, text) {
  subscribe.ask('objection')
  const o = await api.post(url, { text })
  return `已收到，村里须在 ${monthDay(o.due_on)}前答复`
}

// The 我有异议 card's handlers, for a page to spread into its definition: open, cancel, the text as typed, and send —
// the text checked here first (nothing sent when blank or too long), then `post(page, text)` (the page's
// objection.send with its own path), then the page reloaded and the sentence shown.
function handlers(post) {
  return {
    onObjectOpen() { this.setData({ objecting: true, objectionError: '', objectionSent: '' }) },
    onObjectCancel() { this.setData({ objecting: false, objectionError: '' }) },
    onObjectionText(e) { this.setData({ objectionText: e.detail.value }) },
    async onObjectSend() {
      const c = check(this.data.objectionText)
      if (c.error) {
        this.setData({ objectionError: c.error })
        return
      }
      this.setData({ objectionError: '' })
      const sent = await ui.act(this, () => post(this, c.text))
      if (sent) {
        this.setData({ objecting: false, objectionText: '' })
        await this.refresh()
        this.setData({ objectionSent: sent })
      }
    },
  }
}

module.exports = { MAX, monthDay, mine, countsText, check, send, handlers }
