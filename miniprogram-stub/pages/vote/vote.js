// 投票: one vote — what it is about, who may vote and how it passes, in plain words; three big buttons 同意 / 反对 /
// 弃权, a confirmation, then the receipt. Once the vote has closed: the result, and whether my receipt is counted.
//
// One Idempotency-Key per vote, kept in storage (sv_ballot_key_<id>) with the choice being sent: when the answer to a
// ballot is lost on a weak network, the same key and choice are sent again (by utils/api.js's retries, by the
// "再试一次" button, or when the page is opened again), and the server answers with the same receipt instead of
// "已经投过票了". The receipt is kept in sv_receipt_<id>.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')
const subscribe = require('../../utils/subscribe')

// who votes in each kind of meeting, for someone who has never read the law
const BODY_WORDS = {
  representatives_meeting: '村民代表会议（由村民代表和村委会成员投票）',
  villagers_meeting: '村民会议（本村18岁以上的村民都能投票）',
  villagers_group_meeting: '村民小组会议（本组18岁以上的村民投票）',
  members_assembly: '成员大会（村集体经济组织的成员投票）',
  members_rep_assembly: '成员代表大会（成员代表投票）',
  party_meeting: '党员大会（正式党员投票）',
  two_committees: '两委会议（村党组织和村委会成员投票）',
  board: '理事会（理事投票）',
}

const CHOICE_CLASS = { agree: 'choice-agree', oppose: 'choice-oppose', abstain: 'choice-abstain' }

const keyOf = (id) => `sv_ballot_key_${id}`
const choiceOf = (id) => `sv_ballot_choice_${id}`
const receiptOf = (id) => `sv_receipt_${id}`

async function ballotKey(id) {
  let key = wx.getStorageSync(keyOf(id))
  if (!key) {
    key = await api.newKey()
    wx.setStorageSync(keyOf(id), key)
  }
  return key
}

function confirmChoice(choice) {
  return new Promise((resolve) => {
    wx.showModal({
      title: '请确认',
      content: `您选的是：${fmt.VOTE_CHOICES[choice]}。投出后不能更改。`,
      confirmText: '确定投出',
      cancelText: '重新选',
      success: (r) => resolve(!!(r && r.confirm)),
      fail: () => resolve(false),
    })
  })
}

function resultView(v, myReceipt) {
  const r = v.result
  if (!r) return null
  const receipts = v.receipts || []
  const mine = myReceipt ? receipts.find((x) => x.receipt === myReceipt) : null
  return {
    eligible: r.eligible,
    cast: r.cast,
    countsText: `同意 ${r.agree} 票，反对 ${r.oppose} 票，弃权 ${r.abstain} 票`,
    turnoutText: `应投票 ${r.eligible} 人，实际投了 ${r.cast} 人`,
    quorumText: r.quorum_met ? '投票的人数够了，这次表决有效' : '投票的人数不够，这次表决无效',
    quorumClass: r.quorum_met ? 'good' : 'warn',
    passedText: r.passed ? '通过' : '没有通过',
    passedClass: r.passed ? 'good' : 'warn',
    reason: r.reason || '',
    receiptCount: receipts.length,
    receipts: receipts.map((x) => ({ receipt: x.receipt, choiceText: fmt.label(fmt.VOTE_CHOICES, x.choice) })),
    mineText: !myReceipt ? '' : mine
      ? `您的票已计入：${fmt.label(fmt.VOTE_CHOICES, mine.choice)}`
      : `结果里没有找到您的回执号 ${myReceipt}。请找村务监督委员会核对。`,
    mineFound: !!mine,
  }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    id: null,
    vote: null,
    canVote: false,
    receipt: '',
    justVoted: false,
    myChoiceText: '',
    result: null,
    showReceipts: false,
    busy: false,
    actionError: '',
    pendingChoice: '', // a ballot whose answer never came back: "再试一次" sends it again with the same key
    notifyText: '', // after "投票结果出来时通知我" was accepted
  },

  async onLoad(query) {
    this.setData({ id: query && query.id })
    const ok = await this.refresh()
    if (ok) await this.recoverReceipt()
    if (ok) await subscribe.prefetch() // the templates at hand before the tap that asks
    return ok
  },

  onPullDownRefresh() { return this.refresh() },
  onRetry() { return this.refresh() },

  async refresh() {
    return ui.load(this, async () => {
      const v = await api.get(`/votes/${this.data.id}`)
      return this.shape(v)
    })
  },

  shape(v) {
    const id = this.data.id
    const receipt = wx.getStorageSync(receiptOf(id)) || ''
    const rule = v.rule || {}
    const quorum = Array.isArray(rule.quorum) ? rule.quorum : rule.quorum ? [rule.quorum] : []
    let stateText = ''
    if (v.state === 'open') stateText = `正在投票，${fmt.dateTime(v.closes_at)} 截止`
    else if (v.state === 'closed') stateText = `投票已结束（${fmt.dateTime(v.closes_at)}）`
    else stateText = `还没开始，${fmt.dateTime(v.opens_at)} 开始`
    let whoText
    if (v.has_voted) whoText = '您已经投过票了'
    else if (v.eligible && v.state === 'open') whoText = '您可以投票，请选下面一项'
    else if (v.eligible && v.state !== 'closed') whoText = '您在这次投票的名单上，到时候再来投'
    else if (v.eligible) whoText = '您在名单上，但没有投票'
    else whoText = '这次投票您不能投：您不在投票名单上（名单在投票开始时定好）'
    return {
      vote: {
        title: v.title,
        state: v.state,
        stateText,
        bodyText: BODY_WORDS[rule.body || v.body] || rule.label || '',
        quorumText: quorum.join('，或者'),
        majorityText: rule.majority || '',
        statute: rule.statute || '',
        electorateText: v.electorate_size ? `投票名单上一共有 ${v.electorate_size} 票` : '',
        eligible: !!v.eligible,
        hasVoted: !!v.has_voted,
        whoText,
        decisionId: v.decision_id,
      },
      canVote: v.state === 'open' && !!v.eligible && !v.has_voted,
      receipt,
      result: v.state === 'closed' ? resultView(v, receipt) : null,
      pendingChoice: v.has_voted ? '' : this.data.pendingChoice,
    }
  },

  // voted, but the receipt never reached this phone (the answer was lost and the page closed): asking again with
  // the same key and choice only returns the receipt — the server never counts a second ballot for it
  async recoverReceipt() {
    const id = this.data.id
    const key = wx.getStorageSync(keyOf(id))
    const choice = wx.getStorageSync(choiceOf(id))
    if (!this.data.vote || !this.data.vote.hasVoted || this.data.receipt || !key || !choice) return false
    try {
      const r = await api.post(`/votes/${id}/ballots`, { choice }, { idempotencyKey: key })
      if (r && r.receipt) {
        this.keepReceipt(r.receipt, choice)
        if (this.data.vote.state === 'closed') await this.refresh()
        return true
      }
    } catch (err) {
      // a ballot cast some other way (paper, another phone): nothing to recover
    }
    return false
  },

  keepReceipt(receipt, choice) {
    const id = this.data.id
    wx.setStorageSync(receiptOf(id), receipt)
    wx.removeStorageSync(choiceOf(id))
    this.setData({
      receipt,
      myChoiceText: fmt.label(fmt.VOTE_CHOICES, choice),
      canVote: false,
      pendingChoice: '',
      'vote.hasVoted': true,
      'vote.whoText': '您已经投过票了',
    })
  },

  async onChoose(e) {
    const choice = e.currentTarget.dataset.choice
    if (!fmt.VOTE_CHOICES[choice] || this.data.busy) return null
    if (!(await confirmChoice(choice))) return null
    return this.cast(choice)
  },

  // the same choice again, with the same key, after an answer that never came
  onRetryCast() {
    return this.data.pendingChoice ? this.cast(this.data.pendingChoice) : null
  },

  async cast(choice) {
    const id = this.data.id
    const key = await ballotKey(id)
    wx.setStorageSync(choiceOf(id), choice)
    let failure = null
    const r = await ui.act(this, async () => {
      try {
        return await api.post(`/votes/${id}/ballots`, { choice }, { idempotencyKey: key })
      } catch (err) {
        failure = err
        throw err
      }
    })
    if (r && r.receipt) {
      this.keepReceipt(r.receipt, choice)
      this.setData({ justVoted: true })
      return r.receipt
    }
    if (!failure) return null
    if (failure.status === 0 || failure.code === 'server.unavailable') {
      // no answer: the ballot may or may not have arrived; the same key and choice are safe to send again
      this.setData({
        pendingChoice: choice,
        actionError: '网络不好，没收到服务器的回音。您的票可能已经投上了，也可能没有。请点“再试一次”，不会多算一票。',
      })
      return null
    }
    wx.removeStorageSync(choiceOf(id))
    if (failure.code === 'vote.already_cast') {
      this.setData({ canVote: false, pendingChoice: '', 'vote.hasVoted': true, 'vote.whoText': '您已经投过票了' })
    } else if (failure.code === 'vote.closed' || failure.code === 'vote.not_eligible' || failure.code === 'vote.not_open') {
      this.setData({ canVote: false, pendingChoice: '' })
    }
    return null
  },

  // "投票结果出来时通知我": WeChat's consent dialog (a tap is required); whatever the answer, the ballot is cast and
  // nothing else changes — a refusal or a failure only leaves the button as it was
  async onNotifyMe() {
    const accepted = await subscribe.ask('vote')
    if (accepted.length) this.setData({ notifyText: '好的，投票结果出来时会通知您' })
    return accepted
  },

  onToggleReceipts() {
    this.setData({ showReceipts: !this.data.showReceipts })
  },

  onCopyReceipt() {
    if (!this.data.receipt) return
    wx.setClipboardData({ data: this.data.receipt })
  },

  goDecision() {
    if (this.data.vote && this.data.vote.decisionId) {
      wx.navigateTo({ url: `/pages/decision/decision?id=${this.data.vote.decisionId}` })
    }
  },
})
