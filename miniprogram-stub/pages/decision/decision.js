// 一件决策: the proposal, then the six steps of 四议两公开 from top to bottom — what happened at each (when, what was
// decided, who came, why it passed or not) and which are still to come — and the votes held on it. While a step is
// posted (公示) a villager may object to it (我有异议, POST /decisions/{id}/my-objections): they see how many
// objections there are and their own with the answer's due date and the answer — never anyone else's.
const api = require('../../utils/api')
const objection = require('../../utils/objection')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

// what each step is, in a few plain words
const STAGE_HINTS = {
  提议: '村党组织提出这件事',
  商议: '村党组织和村委会一起商量',
  审议: '党员大会讨论审议',
  决议: '开会投票作决定（村民会议、村民代表会议或成员大会）',
  决议公开: '把表决结果贴出来让大家知道',
  实施结果公开: '办完后公开花了多少钱、办得怎么样',
}

function stageStatusText(s, openVote) {
  if (s.status === 'pending') return openVote ? '正在投票' : '还没进行'
  if (s.status === 'open') return s.kind === 'meeting' ? '正在进行' : '正在公示'
  return fmt.label(fmt.STAGE_STATUS, s.status)
}

function publicityText(p) {
  if (!p) return ''
  const when = p.start_on ? `${fmt.date(p.start_on)}${p.end_on ? ` 到 ${fmt.date(p.end_on)}` : ''}` : ''
  return [when, p.channel].filter(Boolean).join('，')
}

function stageView(s, index, decision, openVoteStages) {
  const r = s.result || {}
  const a = s.attendance
  const reached = s.status !== 'pending'
  const openVote = !reached && openVoteStages.has(s.stage)
  const counts = r.publicity && r.publicity.objection_counts
  return {
    key: s.stage,
    number: index + 1,
    stage: s.stage,
    hint: STAGE_HINTS[s.stage] || '',
    reached,
    current: decision.status === 'in_progress' && decision.stage === s.stage,
    status: s.status,
    statusText: stageStatusText(s, openVote),
    statusClass: s.status === 'passed' ? 'good' : s.status === 'failed' ? 'warn' : 'muted',
    bodyText: s.body_label || '',
    heldText: s.held_on ? fmt.date(s.held_on) : '',
    summary: s.summary || '',
    attendanceText: a ? `实到 ${a.present} 人 / 应到 ${a.eligible} 人` : '',
    countsText: r.agree !== undefined && r.agree !== null
      ? `同意 ${r.agree} 票，反对 ${r.oppose} 票，弃权 ${r.abstain} 票` : '',
    reason: r.reason || '',
    publicityText: publicityText(r.publicity),
    supervisorText: (r.publicity && r.publicity.supervisor_opinion) || '',
    objectionsText: counts && counts.count ? objection.countsText(counts) : '',
    spentText: r.spent ? fmt.money(r.spent) : '',
    acceptanceText: r.acceptance_opinion
      ? `${r.accepted_by ? `${r.accepted_by}：` : ''}${r.acceptance_opinion}` : '',
  }
}

// the step posted now (公示), when a villager may object: its dates and the objections' counts
function windowView(d) {
  const w = d.objection_window
  if (!w) return null
  const s = (d.stages || []).find((x) => x.stage === w.stage)
  const counts = s && s.result && s.result.publicity && s.result.publicity.objection_counts
  return {
    stage: w.stage,
    open: !!w.open,
    datesText: `${fmt.date(w.start_on)} 到 ${fmt.date(w.end_on)}`,
    countsText: objection.countsText(counts),
  }
}

function voteView(v, mine) {
  const my = mine.get(v.id)
  let action
  let actionClass = 'muted'
  if (v.state === 'open' && my && !my.has_voted) {
    action = '去投票'
    actionClass = 'warn'
  } else if (v.state === 'open' && my) {
    action = '已投票，看看'
    actionClass = 'good'
  } else if (v.state === 'open') {
    action = '正在投票，看看'
  } else if (v.state === 'closed') {
    action = '已结束，看结果'
  } else {
    action = '还没开始，看看'
  }
  return {
    id: v.id,
    title: v.title,
    action,
    actionClass,
    whenText: v.state === 'closed' ? `${fmt.dateTime(v.closes_at)} 已结束` : `${fmt.dateTime(v.closes_at)} 截止`,
  }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    id: null,
    decision: null,
    stages: [],
    votes: [],
    noStages: false,
    myObjections: [],
    objecting: false,
    objectionText: '',
    objectionError: '',
    objectionSent: '',
    busy: false,
  },

  onLoad(query) {
    this.setData({ id: query && query.id })
    return this.refresh()
  },

  onShow() {
    // back from voting: the vote's link changes
    if (this.loadedOnce) this.refresh()
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  async refresh() {
    const ok = await ui.load(this, async () => {
      const [d, myVotes] = await Promise.all([
        api.get(`/decisions/${this.data.id}`),
        // which open votes I may cast (and whether I did): the decision itself does not say
        api.get('/me/votes').catch(() => []),
      ])
      const mine = new Map((Array.isArray(myVotes) ? myVotes : myVotes.items || []).map((v) => [v.id, v]))
      const votes = d.votes || []
      const openVoteStages = new Set(votes.filter((v) => v.state === 'open').map((v) => v.stage))
      const byName = new Map((d.stages || []).map((s) => [s.stage, s]))
      // the six steps always in the fixed order, whatever order the server lists them in
      const ordered = fmt.STAGES.filter((name) => byName.has(name)).map((name) => byName.get(name))
      const extra = (d.stages || []).filter((s) => !fmt.STAGES.includes(s.stage)) // e.g. a 评议 step
      return {
        decision: {
          title: d.title,
          amountText: d.amount ? fmt.money(d.amount) : '',
          description: d.description || '',
          descriptionLines: d.description ? d.description.split('\n') : [],
          origin: d.origin || '',
          statusText: fmt.label(fmt.DECISION_STATUS, d.status),
          statusClass: d.status === 'failed' ? 'tag-warn' : '',
          failureReason: d.failure_reason || '',
          resolvedText: d.resolved_on ? fmt.date(d.resolved_on) : '',
          createdText: fmt.date(d.created_at),
        },
        stages: ordered.concat(extra).map((s, i) => stageView(s, i, d, openVoteStages)),
        noStages: !(d.stages && d.stages.length),
        votes: votes.map((v) => voteView(v, mine)),
        window: windowView(d),
        myObjections: (d.stages || []).flatMap((s) => ((s.result && s.result.publicity && s.result.publicity.my_objections) || [])
          .map((o) => ({ ...objection.mine(o), stage: s.stage }))),
      }
    })
    if (ok) this.loadedOnce = true
    return ok
  },

  ...objection.handlers((page, text) => objection.send(`/decisions/${page.data.id}/my-objections`, text)),

  goVote(e) {
    wx.navigateTo({ url: `/pages/vote/vote?id=${e.currentTarget.dataset.id}` })
  },
})
