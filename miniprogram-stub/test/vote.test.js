// Voting (page vote) against the real backend.
// - 陈桂兰 (representative) votes on 临江村's open 村民代表会议 vote: confirmation, one Idempotency-Key per vote kept on
//   the phone, the receipt; a second ballot is refused with vote.already_cast's message. 张大山 may not vote: refused.
// - In 新竹村 (writes by its own people only), 周海 opens two short votes: 吴强's answer is lost once and the app's
//   retry with the same key gets the same receipt; 周海's answers are all lost, then the page opened again recovers
//   the receipt. Once both have closed: one ballot each counted (retries and refusals added nothing), the receipt is
//   found in the results, and a late ballot is refused with vote.closed's message.
const h = require('./harness')

// each test gets a fresh phone already signed in (one login per person per file)
const phone = (person) => h.signedIn(person)
const tokenOf = (person) => h.tokenOf(person)

const ALREADY = /已经投过票了/
const lj = {} // 临江村's open vote

function iso(ms) {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}

function ballots() {
  return h.wxState.requests.filter((r) => r.method === 'POST' && /\/votes\/\d+\/ballots$/.test(r.url))
}

// let each POST …/ballots reach the server, but lose its answer while lose() says so (the phone sees a timeout)
function loseAnswers(lose) {
  const real = global.wx.request
  global.wx.request = (options) => {
    if ((options.method || 'GET') === 'POST' && /\/ballots$/.test(options.url) && lose()) {
      return real({ ...options, success: () => options.fail && options.fail({ errMsg: 'request:fail timeout' }) })
    }
    return real(options)
  }
}

beforeAll(async () => {
  const token = await tokenOf('chenguilan')
  const mine = await h.call('GET', '/me/votes', { token })
  const v = mine.data.find((x) => x.title === '村级光伏电站扩建项目表决')
  expect(v).toBeTruthy()
  lj.id = v.id
  lj.closes_at = v.closes_at
})

describe('临江村’s open 村民代表会议 vote', () => {
  test('张大山 is not a representative: told so in words, no buttons; the server’s refusal is shown too', async () => {
    await phone('zhangdashan')
    const page = await h.openPage('vote', { id: String(lj.id) })
    expect(page.data.error).toBe('')
    expect(h.text(page, '.who')).toBe('这次投票您不能投：您不在投票名单上（名单在投票开始时定好）')
    expect(h.has(page, '.choice')).toBe(false)
    // a page left open from before (or a crafted tap): the server refuses, the page says why in Chinese
    await page.instance.cast('agree')
    const refusal = h.text(page, '.action-error')
    expect(refusal).toMatch(/不在本次表决的名单/)
    expect(h.wxState.modals.at(-1).content).toBe(refusal)
    expect(ballots().map((r) => r.status)).toEqual([403])
    const after = await h.call('GET', `/votes/${lj.id}`, { token: await tokenOf('zhangdashan') })
    expect(after.data.has_voted).toBe(false)
  })

  test('陈桂兰 sees the rule in words, confirms, votes once and gets a receipt; a second ballot is refused', async () => {
    await phone('chenguilan')
    const page = await h.openPage('vote', { id: String(lj.id) })
    const stale = await h.openPage('vote', { id: String(lj.id) }) // the same vote open twice on her phone
    expect(page.data.error).toBe('')
    expect(h.text(page, '.vote-title')).toBe('村级光伏电站扩建项目表决')
    expect(h.text(page, '.rule-body')).toBe('村民代表会议（由村民代表和村委会成员投票）')
    expect(h.text(page, '.rule-quorum')).toBe('应到人数的三分之二以上投了票')
    expect(h.text(page, '.rule-majority')).toBe('到会人员过半数同意')
    expect(h.text(page, '.vote-state')).toBe(`正在投票，${require('../utils/format').dateTime(lj.closes_at)} 截止`)
    expect(h.text(page, '.who')).toBe('您可以投票，请选下面一项')
    expect(h.texts(page, '.choice')).toEqual(['同意', '反对', '弃权'])

    // "重新选" in the confirmation sends nothing
    const confirmYes = global.wx.showModal
    global.wx.showModal = (opts) => {
      h.wxState.modals.push(opts)
      setTimeout(() => opts.success({ confirm: false, cancel: true }), 0)
    }
    await page.instance.onChoose({ currentTarget: { dataset: { choice: 'oppose' } } })
    expect(h.wxState.modals.at(-1).content).toBe('您选的是：反对。投出后不能更改。')
    expect(ballots()).toHaveLength(0)
    global.wx.showModal = confirmYes

    await page.instance.onChoose({ currentTarget: { dataset: { choice: 'agree' } } })
    expect(h.wxState.modals.at(-1).content).toBe('您选的是：同意。投出后不能更改。')
    const key = h.wxState.store.get(`sv_ballot_key_${lj.id}`)
    expect(key).toBeTruthy()
    expect(ballots()).toHaveLength(1)
    expect(ballots()[0].status).toBe(201)
    expect(ballots()[0].header['Idempotency-Key']).toBe(key)
    const receipt = h.wxState.store.get(`sv_receipt_${lj.id}`)
    expect(receipt).toMatch(/^[0-9a-f]{8,}$/)
    expect(h.text(page, '.receipt')).toBe(receipt)
    expect(h.text(page, '.voted')).toBe('投票成功，您投的是：同意')
    expect(h.text(page, '.receipt-help')).toBe('记下这个回执号：投票结束后在结果里能找到它，别人看不到您投了什么')
    expect(h.has(page, '.choice')).toBe(false)
    const token = await tokenOf('chenguilan')
    expect((await h.call('GET', `/votes/${lj.id}`, { token })).data.has_voted).toBe(true)

    // the page opened before she voted still shows the buttons: another choice is refused, and no receipt changes
    await stale.instance.onChoose({ currentTarget: { dataset: { choice: 'oppose' } } })
    expect(ballots()).toHaveLength(2)
    expect(ballots()[1].status).toBe(409)
    expect(ballots()[1].header['Idempotency-Key']).toBe(key) // one key per vote, even from another page
    expect(h.text(stale, '.action-error')).toMatch(ALREADY)
    expect(h.has(stale, '.choice')).toBe(false)
    expect(h.wxState.store.get(`sv_receipt_${lj.id}`)).toBe(receipt)
    expect((await h.call('GET', '/me/votes', { token })).data.find((v) => v.id === lj.id).has_voted).toBe(true)
  })

  test('on another phone (no key, no receipt) she is told she has voted, with no buttons; a ballot is refused', async () => {
    await phone('chenguilan')
    const page = await h.openPage('vote', { id: String(lj.id) })
    expect(h.text(page, '.who')).toBe('您已经投过票了')
    expect(h.has(page, '.choice')).toBe(false)
    expect(h.text(page, '.no-receipt')).toContain('回执号只保存在您投票用的那部手机上')
    expect(ballots()).toHaveLength(0) // nothing to recover without the key: nothing sent
    await page.instance.cast('abstain')
    expect(ballots().map((r) => r.status)).toEqual([409])
    expect(h.text(page, '.action-error')).toMatch(ALREADY)
  })
})

describe('新竹村: lost answers, and the results once the votes close', () => {
  const xz = {}

  beforeAll(async () => {
    xz.zhouhai = await tokenOf('zhouhai')
    xz.wuqiang = await tokenOf('wuqiang')
    const me = await h.call('GET', '/me', { token: xz.zhouhai })
    // a decision holds one open vote at a time, on its current step (决议, once 提议, 商议 and 审议 are recorded):
    // two votes open at once need two decisions
    const atResolution = async (part) => {
      const d = await h.call('POST', `/villages/${me.data.village.id}/decisions`, {
        token: xz.zhouhai,
        body: { title: `新竹村村道路灯安装（${part}）`, category: 'project', origin: '党员群众建议', amount: '13000.00' },
      })
      expect(d.statusCode).toBe(201)
      await h.advanceToResolution(d.data.id, xz.zhouhai)
      return d.data.id
    }
    const decisions = [await atResolution('一'), await atResolution('二')]
    xz.closesAt = Date.now() + 12000
    const open = async (decisionId, title) => {
      const v = await h.call('POST', `/decisions/${decisionId}/votes`, {
        token: xz.zhouhai,
        body: { stage: '决议', body: 'villagers_meeting', title, opens_at: iso(Date.now() - 60000), closes_at: iso(xz.closesAt) },
      })
      expect(v.statusCode).toBe(201)
      return v.data.id
    }
    xz.a = await open(decisions[0], '路灯安装表决（一）')
    xz.b = await open(decisions[1], '路灯安装表决（二）')
  })

  test('吴强’s first answer is lost: the app sends the same key again and shows the same receipt (200)', async () => {
    await phone('wuqiang')
    let lost = 0
    loseAnswers(() => (lost += 1) === 1)
    const page = await h.openPage('vote', { id: String(xz.a) })
    expect(h.text(page, '.rule-body')).toBe('村民会议（本村18岁以上的村民都能投票）')
    expect(h.text(page, '.rule-quorum')).toBe('应到人数过半数，或者应到户数的三分之二以上投了票')
    await page.instance.onChoose({ currentTarget: { dataset: { choice: 'agree' } } })
    const sent = ballots()
    expect(sent.map((r) => r.status)).toEqual([201, 200]) // the first was recorded; the retry only replays it
    const key = h.wxState.store.get(`sv_ballot_key_${xz.a}`)
    expect(sent.map((r) => r.header['Idempotency-Key'])).toEqual([key, key])
    const receipt = h.wxState.store.get(`sv_receipt_${xz.a}`)
    expect(receipt).toBeTruthy()
    expect(h.text(page, '.receipt')).toBe(receipt)
    expect(h.text(page, '.voted')).toBe('投票成功，您投的是：同意')
    expect(page.data.actionError).toBe('')
    xz.receiptA = receipt

    // voting again from another phone (a new key) is refused
    await phone('wuqiang')
    const other = await h.openPage('vote', { id: String(xz.a) })
    expect(h.has(other, '.choice')).toBe(false)
    await other.instance.cast('oppose')
    expect(h.text(other, '.action-error')).toMatch(ALREADY)
  })

  test('周海’s answers never come back: the page says the ballot may be in, and opened again finds the receipt', async () => {
    await phone('zhouhai')
    let lose = true
    loseAnswers(() => lose)
    const page = await h.openPage('vote', { id: String(xz.b) })
    await page.instance.onChoose({ currentTarget: { dataset: { choice: 'oppose' } } })
    const key = h.wxState.store.get(`sv_ballot_key_${xz.b}`)
    expect(ballots().map((r) => r.status)).toEqual([201, 200, 200, 200]) // all arrived, no answer reached the phone
    expect(ballots().every((r) => r.header['Idempotency-Key'] === key)).toBe(true)
    expect(h.text(page, '.action-error')).toContain('您的票可能已经投上了，也可能没有')
    expect(h.text(page, '.retry-cast')).toBe('再试一次')
    expect(h.has(page, '.receipt')).toBe(false)

    // later, on a better network, the page is opened again: it asks with the same key and gets the receipt
    lose = false
    const again = await h.openPage('vote', { id: String(xz.b) })
    expect(h.text(again, '.who')).toBe('您已经投过票了')
    const receipt = h.wxState.store.get(`sv_receipt_${xz.b}`)
    expect(receipt).toBeTruthy()
    expect(h.text(again, '.receipt')).toBe(receipt)
    expect(ballots().at(-1).status).toBe(200)
    expect(ballots().at(-1).header['Idempotency-Key']).toBe(key)

    // the first page, still open, offers 再试一次: the same key and choice, the same receipt, no confirmation again
    const modals = h.wxState.modals.length
    await h.tap(page, '.retry-cast')
    await h.until(() => page.data.receipt !== '')
    expect(h.text(page, '.receipt')).toBe(receipt)
    expect(h.has(page, '.retry-cast')).toBe(false)
    expect(ballots().at(-1).status).toBe(200)
    expect(ballots().at(-1).header['Idempotency-Key']).toBe(key)
    expect(h.wxState.modals).toHaveLength(modals)
  })

  test('after closing: one ballot each counted, the receipt found with its choice; a late ballot is refused', async () => {
    await h.until(() => Date.now() > xz.closesAt + 300, { timeout: 20000, step: 100 })

    // 吴强's phone still holds the receipt it was shown
    await phone('wuqiang')
    const receiptA = xz.receiptA
    h.wxState.store.set(`sv_receipt_${xz.a}`, receiptA)
    const page = await h.openPage('vote', { id: String(xz.a) })
    expect(page.data.error).toBe('')
    expect(h.text(page, '.vote-state')).toContain('投票已结束')
    expect(h.has(page, '.choice')).toBe(false)
    const result = (await h.call('GET', `/votes/${xz.a}`, { token: xz.wuqiang })).data.result
    expect(result.cast).toBe(1) // the lost answer's retry and the refused second ballot added nothing
    expect(h.text(page, '.result-turnout')).toBe(`应投票 ${result.eligible} 人，实际投了 1 人`)
    expect(h.text(page, '.result-counts')).toBe('同意 1 票，反对 0 票，弃权 0 票')
    expect(h.text(page, '.result-quorum')).toBe('投票的人数不够，这次表决无效')
    expect(h.text(page, '.result-passed')).toBe('结果：没有通过')
    expect(h.text(page, '.result-mine')).toBe('您的票已计入：同意')
    await h.tap(page, '.toggle-receipts')
    expect(h.texts(page, '.receipt-row')).toEqual([`${receiptA}同意`])

    // 周海 is on the list of (一) but did not vote: he sees the result, and a ballot now is refused in words
    await phone('zhouhai')
    const late = await h.openPage('vote', { id: String(xz.a) })
    expect(h.text(late, '.who')).toBe('您在名单上，但没有投票')
    expect(h.has(late, '.choice')).toBe(false)
    expect(h.has(late, '.result-mine')).toBe(false)
    await late.instance.cast('agree')
    expect(h.text(late, '.action-error')).toBe('投票已结束')
    expect((await h.call('GET', `/votes/${xz.a}`, { token: xz.zhouhai })).data.result.cast).toBe(1)

    // vote (二): 周海's one ballot, whose answers were all lost, is counted once, as he chose
    const b = (await h.call('GET', `/votes/${xz.b}`, { token: xz.zhouhai })).data
    expect(b.result.cast).toBe(1)
    expect(b.result.oppose).toBe(1)
    expect(b.receipts).toHaveLength(1)
  })

  test('a receipt kept on the phone but missing from the results is pointed out, not hidden', async () => {
    await phone('wuqiang')
    h.wxState.store.set(`sv_receipt_${xz.a}`, '000000000000')
    const page = await h.openPage('vote', { id: String(xz.a) })
    expect(h.text(page, '.result-mine')).toBe('结果里没有找到您的回执号 000000000000。请找村务监督委员会核对。')
  })
})
