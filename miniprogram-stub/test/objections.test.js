// 我有异议 from the phone (issue 20): a villager objects to a decision in its 公示 (新竹村: 周海 the secretary,
// 吴强 the villager), to a job's selected list in 公示 (新竹村), to this year's dividend list in 公示 (临江村's
// year-end plan, computed and published here by its accountant and secretary), and asks about one line of a
// disclosure; each page then says by when the village must answer, shows the counts (never who or what others
// wrote) and the person's own objection with its answer. The disclosure page shows the seal's short code as the
// paper prints it.
const h = require('./harness')
const fmt = require('../utils/format')

const monthDay = (iso) => `${Number(iso.slice(5, 7))}月${Number(iso.slice(8, 10))}日`
const chinaToday = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
const plusDays = (iso, n) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10)

let xz
let zhouhai
let lj
beforeAll(async () => {
  zhouhai = await h.tokenOf('zhouhai')
  xz = (await h.call('GET', '/me', { token: zhouhai })).data.village.id
  lj = (await h.call('GET', '/me', { token: await h.tokenOf('zhangdashan') })).data.village.id
})

async function ok(r, status = [200, 201]) {
  const res = await r
  if (!status.includes(res.statusCode)) throw new Error(`${res.statusCode} ${JSON.stringify(res.data)}`)
  return res.data
}

// a decision of 新竹村 brought to 决议公开, its 公示 open from today
async function decisionInPublicity() {
  const d = await ok(h.call('POST', `/villages/${xz}/decisions`, {
    token: zhouhai, body: { title: '新竹村修建村口路灯', category: 'project', origin: '党员群众建议', amount: '8000.00' },
  }))
  const decision = await h.advanceToResolution(d.id, zhouhai)
  const stage = decision.stages.find((s) => s.stage === '决议')
  const on = chinaToday()
  const roster = await ok(h.call('GET', `/villages/${xz}/bodies/${encodeURIComponent(stage.body)}/roster?on=${on}`,
    { token: zhouhai }))
  const people = roster.people.map((p) => p.person_id)
  const attendance = roster.enumerable ? { attendee_ids: people } : { eligible: 9, present: 9 }
  const present = roster.enumerable ? people.length : 9
  await ok(h.call('POST', `/decisions/${d.id}/meetings`, {
    token: zhouhai,
    body: { stage: '决议', held_on: on, outcome: '通过', ...attendance, votes: { agree: present, oppose: 0, abstain: 0 } },
  }))
  await ok(h.call('POST', `/decisions/${d.id}/publicity`, { token: zhouhai, body: { stage: '决议公开' } }))
  return d.id
}

function typeAndSend(page, text) {
  page.instance.onObjectOpen()
  page.instance.onObjectionText({ detail: { value: text } })
  return page.instance.onObjectSend()
}

describe('a decision in its 公示', () => {
  test('我有异议: the deadline, the counts, my own objection and then its answer', async () => {
    const did = await decisionInPublicity()
    await h.signedIn('wuqiang')
    let page = await h.openPage('decision', { id: String(did) })
    expect(page.data.error).toBe('')
    expect(page.data.window.open).toBe(true)
    expect(h.text(page, '.objection-counts')).toBe('还没有人提出异议（谁提的不公开）')

    // nothing written: refused on the phone, nothing sent
    const sent = h.wxState.requests.length
    await typeAndSend(page, '   ')
    expect(page.data.objectionError).toBe('请写下异议的内容')
    expect(h.wxState.requests.filter((r) => r.method === 'POST').length)
      .toBe(h.wxState.requests.slice(0, sent).filter((r) => r.method === 'POST').length)

    await typeAndSend(page, '路灯应该装在学校门口')
    const post = h.wxState.requests.find((r) => r.method === 'POST' && r.url.endsWith(`/decisions/${did}/my-objections`))
    expect(post.status).toBe(201)
    const due = plusDays(chinaToday(), 7)
    expect(h.text(page, '.objection-sent')).toBe(`已收到，村里须在 ${monthDay(due)}前答复`)
    expect(h.text(page, '.objection-counts')).toBe('共 1 条异议，已答复 0 条（谁提的不公开）')
    expect(h.texts(page, '.my-objection')[0]).toContain('路灯应该装在学校门口')
    expect(h.text(page, '.objection-status')).toBe(`等待答复，期限 ${monthDay(due)}`)
    // consent to be told of the answer was asked from the same tap
    expect(h.wxState.subscribes.length).toBeGreaterThan(0)

    // the village answers; the page shows it
    const d = (await h.call('GET', `/decisions/${did}`, { token: zhouhai })).data
    const mine = d.stages.find((s) => s.stage === '决议公开').result.publicity.objections
    expect(mine.map((o) => o.raised_by)).toEqual(['吴强']) // staff see the name
    await ok(h.call('POST', `/decision-objections/${mine[0].id}/answer`, {
      token: zhouhai, body: { answer: '学校门口已有路灯，这次装在村口' },
    }))
    page = await h.openPage('decision', { id: String(did) })
    expect(h.text(page, '.objection-status')).toBe('已答复：学校门口已有路灯，这次装在村口')
    expect(h.text(page, '.objection-counts')).toBe('共 1 条异议，已答复 1 条（谁提的不公开）')
  })
})

describe('a job’s selected list in 公示', () => {
  test('我有异议 on the job page: sent, its deadline, then only my own is listed', async () => {
    const wq = await h.tokenOf('wuqiang')
    const start = new Date(Date.now() - 3600000).toISOString()
    const until = new Date(Date.now() + 86400000).toISOString()
    const p = await ok(h.call('POST', `/villages/${xz}/job-postings`, {
      token: zhouhai,
      body: { title: '新竹村保洁员', category: '保洁', positions: 1, monthly_wage: '500.00', apply_from: start, apply_until: until },
    }))
    await ok(h.call('POST', `/job-postings/${p.id}/applications`, { token: wq, body: {} }))
    await ok(h.call('POST', `/job-postings/${p.id}/close`, { token: zhouhai, body: { reason: '报名人数已够' } }))
    await ok(h.call('POST', `/job-postings/${p.id}/seal`, { token: zhouhai }))
    await ok(h.call('POST', `/job-postings/${p.id}/draw`, { token: zhouhai, body: { seed: '05-17-23-31-42' } }))

    await h.signedIn('wuqiang')
    const page = await h.openPage('job', { id: String(p.id) })
    expect(page.data.error).toBe('')
    expect(page.data.job.inPublicity).toBe(true)
    await h.tap(page, '.object-btn')
    expect(h.has(page, '.objection-input')).toBe(true)
    page.instance.onObjectionText({ detail: { value: '抽签时我不在场' } })
    await page.instance.onObjectSend()
    const due = plusDays(chinaToday(), 7)
    expect(h.text(page, '.objection-sent')).toBe(`已收到，村里须在 ${monthDay(due)}前答复`)
    expect(h.text(page, '.objection-counts')).toBe('共 1 条异议，已答复 0 条（谁提的不公开）')
    expect(h.texts(page, '.my-objection')).toHaveLength(1)
    expect(h.text(page, '.objection-status')).toBe(`等待答复，期限 ${monthDay(due)}`)
  })
})

describe('this year’s dividend list in 公示', () => {
  test('我有异议 on my household’s dividend: sent, counted, and another household sees the count only', async () => {
    const acc = await h.tokenOf('lixiuying')
    const sec = await h.tokenOf('wangjianguo')
    const year = Number(chinaToday().slice(0, 4))
    const list = await ok(h.call('GET', `/villages/${lj}/distributions?page_size=50`, { token: sec }))
    const draft = list.items.find((d) => d.year === year && d.status === 'draft')
    expect(draft).toBeTruthy()
    await ok(h.call('POST', `/distributions/${draft.id}/compute`, { token: acc, body: { record_date: chinaToday() } }))
    const published = await ok(h.call('POST', `/distributions/${draft.id}/publish`, {
      token: sec, body: { decision_id: draft.decision_id },
    }))
    expect(published.status).toBe('published')
    try {
      await objectToTheDividend(draft.id, published)
    } finally {
      // the other files of the run read 临江村's dividends as the demo seeds them: take this list down again
      await ok(h.call('POST', `/distributions/${draft.id}/cancel`, { token: sec, body: { reason: '测试后撤下' } }))
    }
  })
})

// 刘小梅 objects to her household's line; 张大山 (another household) sees the count only
async function objectToTheDividend(id, published) {
  await h.signedIn('liuxiaomei')
  let page = await h.openPage('dividend', { id: String(id) })
  expect(page.data.error).toBe('')
  expect(page.data.inPublicity).toBe(true)
  expect(h.text(page, '.objections')).toContain(`名单公示到 ${fmt.date(published.publicity_until)}`)
  await typeAndSend(page, '我家劳龄股少算了一年')
  const due = plusDays(chinaToday(), 7)
  expect(h.text(page, '.objection-sent')).toBe(`已收到，村里须在 ${monthDay(due)}前答复`)
  expect(h.text(page, '.objection-status')).toBe(`等待答复，期限 ${monthDay(due)}`)

  await h.signedIn('zhangdashan')
  page = await h.openPage('dividend', { id: String(id) })
  expect(h.text(page, '.objection-counts')).toBe('共 1 条异议，已答复 0 条（谁提的不公开）')
  expect(h.has(page, '.my-objection')).toBe(false)
  expect(page.dom.textContent).not.toContain('劳龄股少算了一年')
  expect(page.dom.textContent).not.toContain('刘')
}

describe('a disclosure: its lines numbered, a question on one, and the paper’s seal code', () => {
  test('第 N 笔 with 提问 beside it fills the form; the short code as printed; my question and its deadline', async () => {
    await h.signedIn('chenguilan')
    const token = await h.tokenOf('chenguilan')
    const list = (await h.call('GET', `/villages/${lj}/disclosures`, { token })).data
    const id = list.items[0].id
    // the paper's QR code leads to pages/disclosure/disclosure?id=<id>: the page reads `id`
    const page = await h.openPage('disclosure', { id: String(id) })
    expect(page.data.error).toBe('')
    const d = (await h.call('GET', `/disclosures/${id}`, { token })).data
    expect(d.seal_short_code).toBe(`${d.seal.slice(0, 4)}-${d.seal.slice(4, 8)}`)
    expect(h.text(page, '.seal-short')).toBe(d.seal_short_code)
    expect(h.text(page, '.seal-words')).toContain('纸质公示上印的封签码一样')
    expect(h.text(page, '.seal-value')).toBe(d.seal) // the whole hash is still there

    const numbers = h.texts(page, '.line-no')
    expect(numbers[0]).toBe('第 1 笔')
    expect(numbers).toHaveLength(d.lines.length)
    const taps = page.querySelectorAll('.ask-about')
    taps[1].dispatchEvent('tap')
    await h.settle()
    expect(page.data.askLine).toBe(String(d.lines[1].line_no))

    page.setData({ askText: '这笔是给谁的？' })
    await page.instance.onAsk()
    await h.until(() => !!page.data.askSent)
    const due = plusDays(chinaToday(), 7)
    expect(page.data.askSent).toBe(`已收到，村里须在 ${monthDay(due)}前答复`)
    const mine = page.data.questions.filter((q) => q.text === '这笔是给谁的？')
    expect(mine).toHaveLength(1)
    expect(mine[0].status).toBe(`等待答复，期限 ${monthDay(due)}`)
    // only my own questions are listed, and the count says how many there are in all
    const all = (await h.call('GET', `/disclosures/${id}`, { token: await h.tokenOf('lixiuying') })).data.questions
    expect(page.data.questions.length).toBeLessThanOrEqual(all.length)
    expect(h.text(page, '.question-counts')).toContain(`共 ${all.length} 条提问`)
  })

  test('a line that is not on the disclosure is refused on the phone in words', async () => {
    await h.signedIn('chenguilan')
    const token = await h.tokenOf('chenguilan')
    const id = (await h.call('GET', `/villages/${lj}/disclosures`, { token })).data.items[0].id
    const page = await h.openPage('disclosure', { id: String(id) })
    page.setData({ askLine: String(page.data.lines.length + 1), askText: '问一下' })
    await page.instance.onAsk()
    expect(page.data.askError).toContain('第几笔')
    const r = await h.call('POST', `/disclosures/${id}/questions`, { token, body: { line_no: page.data.lines.length + 1, text: '问一下' } })
    expect(r.statusCode).toBe(422)
    expect(r.data.error.message).toBe(`没有第${page.data.lines.length + 1}笔，本次公开共${page.data.lines.length}笔`)
  })
})
