// Decisions under 四议两公开 (pages decisions and decision), read against the seeded demo:
// 临江村 (LJ01) holds one decision through all six steps (last year's 收益分配方案), one at 决议 with the open
// 村民代表会议 vote, one just proposed (村文化广场建设), and an older one recorded without steps.
// Writes here happen only in 新竹村 (XZ02), by its secretary 周海, so other test files are not disturbed:
// enough decisions there to need a second page, and one with an open 村民会议 vote.
const h = require('./harness')

// each test gets a fresh phone already signed in (one login per person per file)
const phone = (person) => h.signedIn(person)
const tokenOf = (person) => h.tokenOf(person)
// the demo names it after last year, in China's calendar (backend/demo_decisions.py)
const DIVIDEND_PLAN = `${new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear() - 1}年度集体收益分配方案`
const fmt = require('../utils/format')

const LJ = 1
let xz // 新竹村's id
let zhouhai // 周海's token
let openVoteDecision // a 新竹村 decision with a vote open now

function iso(ms) {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}

beforeAll(async () => {
  zhouhai = await tokenOf('zhouhai')
  const me = await h.call('GET', '/me', { token: zhouhai })
  xz = me.data.village.id
  expect(me.data.village.code).toBe('XZ02')
  // more than one page of decisions in 新竹村
  const first = await h.call('GET', `/villages/${xz}/decisions`, { token: zhouhai })
  for (let i = first.data.total; i < 23; i += 1) {
    const r = await h.call('POST', `/villages/${xz}/decisions`, {
      token: zhouhai,
      body: { title: `新竹村第${i + 1}件事`, category: 'other', origin: '村干部提议' },
    })
    expect(r.statusCode).toBe(201)
  }
  const d = await h.call('POST', `/villages/${xz}/decisions`, {
    token: zhouhai,
    body: { title: '新竹村修建蓄水池', category: 'project', origin: '党员群众建议', amount: '42000.00',
      description: '在村北修建蓄水池一座。\n用于旱季灌溉。' },
  })
  expect(d.statusCode).toBe(201)
  openVoteDecision = d.data.id
  // a vote opens only on the decision's current step: record 提议, 商议 and 审议 first, then vote on 决议
  await h.advanceToResolution(openVoteDecision, zhouhai)
  const v = await h.call('POST', `/decisions/${openVoteDecision}/votes`, {
    token: zhouhai,
    body: { stage: '决议', body: 'villagers_meeting', title: '新竹村修建蓄水池表决', opens_at: iso(Date.now() - 60000),
      closes_at: iso(Date.now() + 3600000) },
  })
  expect(v.statusCode).toBe(201)
})

describe('the list of decisions', () => {
  test('each decision: title, the step it has reached in words, its status in words, the date; tap opens it', async () => {
    await phone('zhangdashan')
    const page = await h.openPage('decisions', { village: String(LJ) })
    expect(page.data.error).toBe('')
    const api = await h.call('GET', `/villages/${LJ}/decisions`, { token: await tokenOf('zhangdashan') })
    expect(page.data.items.map((d) => d.id)).toEqual(api.data.items.map((d) => d.id))

    const items = h.texts(page, '.decision-item')
    const pv = items.find((t) => t.includes('村级光伏电站扩建项目'))
    expect(pv).toContain('现在到了第4步（共6步）：决议')
    expect(pv).toContain('进行中')
    const done = items.find((t) => t.includes(DIVIDEND_PLAN))
    expect(done).toContain('六个步骤都已完成')
    expect(done).toContain('已完成')
    const fresh = items.find((t) => t.includes('村文化广场建设'))
    expect(fresh).toContain('现在到了第2步（共6步）：商议')
    // the older decision, recorded before the steps: no step, and says so instead of showing "null"
    const old = items.find((t) => t.includes('村道硬化修缮工程'))
    expect(old).toContain('没有分步骤的记录')
    expect(old).toContain('已通过')
    expect(items.join('')).not.toMatch(/null|undefined|in_progress|resolved/)
    const dated = api.data.items[0]
    expect(items[0]).toContain(`${fmt.date(dated.updated_at)} 更新`)
    // all of them fit on the first page: no "more", no further request at the bottom
    expect(h.text(page, '.more-done')).toBe(`全部 ${api.data.total} 件都在这里了`)
    const sent = h.wxState.requests.length
    expect(await page.instance.onReachBottom()).toBe(false)
    expect(h.wxState.requests.length).toBe(sent)

    const index = page.data.items.findIndex((d) => d.title === '村级光伏电站扩建项目')
    page.querySelectorAll('.decision-item')[index].dispatchEvent('tap')
    await h.settle()
    expect(h.wxState.navigations.at(-1)).toEqual({
      kind: 'navigateTo', url: `/pages/decision/decision?id=${page.data.items[index].id}` })
  })

  test('opened without a village, it shows the caller’s own', async () => {
    await phone('zhangdashan')
    const page = await h.openPage('decisions')
    expect(page.data.error).toBe('')
    expect(String(page.data.villageId)).toBe(String(LJ))
    expect(h.texts(page, '.decision-title')).toContain('村级光伏电站扩建项目')
  })

  test('more than one page: 20 first, the rest when scrolled to the bottom, then nothing more is asked', async () => {
    await phone('wuqiang')
    const page = await h.openPage('decisions', { village: String(xz) })
    expect(page.data.error).toBe('')
    const total = page.data.total
    expect(total).toBeGreaterThan(20)
    expect(page.data.items).toHaveLength(20)
    expect(h.text(page, '.more-hint')).toContain(`共 ${total} 件`)

    expect(await page.instance.onReachBottom()).toBe(true)
    expect(page.data.items).toHaveLength(total)
    expect(new Set(page.data.items.map((d) => d.id)).size).toBe(total)
    expect(h.wxState.requests.filter((r) => r.url.includes('/decisions')).map((r) => r.url))
      .toEqual([`/api/v1/villages/${xz}/decisions?page=1&page_size=20`,
        `/api/v1/villages/${xz}/decisions?page=2&page_size=20`])
    expect(h.text(page, '.more-done')).toBe(`全部 ${total} 件都在这里了`)

    const sent = h.wxState.requests.length
    expect(await page.instance.onReachBottom()).toBe(false)
    expect(h.wxState.requests.length).toBe(sent)
  })

  test('a failed "more" keeps what is shown and offers 再试一次', async () => {
    await phone('wuqiang')
    const page = await h.openPage('decisions', { village: String(xz) })
    h.wxState.dropWhen = (o) => o.url.includes('page=2')
    expect(await page.instance.onReachBottom()).toBe(false)
    expect(page.data.items).toHaveLength(20)
    expect(page.data.moreError).toMatch(/网络不好/)
    expect(h.text(page, '.more-error')).toContain('再试一次')
    h.wxState.dropWhen = null
    expect(await page.instance.onMoreRetry()).toBe(true)
    expect(page.data.items).toHaveLength(page.data.total)
  })
})

describe('one decision', () => {
  test('all six steps in order, each with its date, summary, attendance (实到/应到) and the reason it passed', async () => {
    await phone('zhangdashan')
    const list = await h.call('GET', `/villages/${LJ}/decisions`, { token: await tokenOf('zhangdashan') })
    const id = list.data.items.find((d) => d.title === DIVIDEND_PLAN).id
    // the demo dates its decision from today (backend/demo_decisions.py): the dates expected are the server's own,
    // written here the way a villager reads them
    const detail = (await h.call('GET', `/decisions/${id}`, { token: await tokenOf('zhangdashan') })).data
    const cn = (iso) => { const [y, m, d] = iso.split('-').map(Number); return `${y}年${m}月${d}日` }
    const publicity = detail.stages[4].result.publicity
    const page = await h.openPage('decision', { id: String(id) })
    expect(page.data.error).toBe('')
    expect(h.text(page, '.decision-title')).toBe(DIVIDEND_PLAN)
    expect(h.text(page, '.decision-amount')).toBe('19,400.00 元')
    expect(h.text(page, '.decision-description')).toContain('每股50元')

    expect(h.texts(page, '.step-name')).toEqual(fmt.STAGES)
    expect(h.texts(page, '.step-status')).toEqual(Array(6).fill('已通过'))
    const steps = h.texts(page, '.step')
    expect(steps[0]).toContain(cn(detail.stages[0].held_on))
    expect(steps[0]).toContain('党支部提议收益分配方案')
    expect(steps[0]).toContain('实到 5 人 / 应到 5 人')
    expect(steps[2]).toContain('实到 11 人 / 应到 13 人')
    expect(steps[3]).toContain('实到 146 人 / 应到 176 人')
    expect(steps[3]).toContain('同意 139 票，反对 3 票，弃权 4 票')
    expect(steps[3]).toContain('决议通过') // the server's reason, in full
    expect(steps[3]).toContain('成员大会')
    expect(steps[4]).toContain(`${cn(publicity.start_on)} 到 ${cn(publicity.end_on)}`)
    expect(steps[4]).toContain('公示期内无异议')
    expect(steps[5]).toContain('19,400.00 元')
    expect(steps[5]).toContain('分红已全部打入农户账户')
    expect(h.has(page, '.step-now')).toBe(false) // finished: no step is "now"
    expect(h.has(page, '.vote-link')).toBe(false)
  })

  test('a decision just proposed: the steps not reached yet say 还没进行, with nothing made up', async () => {
    await phone('zhangdashan')
    const list = await h.call('GET', `/villages/${LJ}/decisions`, { token: await tokenOf('zhangdashan') })
    const id = list.data.items.find((d) => d.title === '村文化广场建设').id
    const page = await h.openPage('decision', { id: String(id) })
    expect(h.texts(page, '.step-name')).toEqual(fmt.STAGES)
    const statuses = h.texts(page, '.step-status')
    expect(statuses[0]).toBe('已通过')
    expect(statuses.slice(1)).toEqual(Array(5).fill('还没进行'))
    // the step it stands at is marked; the ones not reached show no date, attendance or reason
    const current = h.texts(page, '.step-current')
    expect(current).toHaveLength(1)
    expect(current[0]).toContain('商议')
    expect(current[0]).toContain('现在这一步')
    expect(h.texts(page, '.step-held')).toHaveLength(1)
    expect(h.texts(page, '.step-attendance')).toHaveLength(1)
    expect(h.texts(page, '.step-reason')).toHaveLength(1)
  })

  test('the decision at 决议: its 村民代表会议 vote is listed; 张大山 (not a representative) may only look', async () => {
    await phone('zhangdashan')
    const list = await h.call('GET', `/villages/${LJ}/decisions`, { token: await tokenOf('zhangdashan') })
    const id = list.data.items.find((d) => d.title === '村级光伏电站扩建项目').id
    const page = await h.openPage('decision', { id: String(id) })
    const statuses = h.texts(page, '.step-status')
    expect(statuses.slice(0, 3)).toEqual(['已通过', '已通过', '已通过'])
    expect(statuses[3]).toBe('正在投票')
    expect(statuses.slice(4)).toEqual(['还没进行', '还没进行'])
    expect(h.texts(page, '.vote-link')).toHaveLength(1)
    expect(h.text(page, '.vote-link')).toContain('村级光伏电站扩建项目表决')
    expect(h.text(page, '.vote-action')).toBe('正在投票，看看 ›') // not "去投票": he is not on the list
    await h.tap(page, '.vote-link')
    expect(h.wxState.navigations.at(-1).url).toMatch(/^\/pages\/vote\/vote\?id=\d+$/)
  })

  test('a villager on the list of an open vote, who has not voted, is offered 去投票', async () => {
    await phone('zhouhai')
    const page = await h.openPage('decision', { id: String(openVoteDecision) })
    expect(page.data.error).toBe('')
    expect(h.texts(page, '.para')).toEqual(['在村北修建蓄水池一座。', '用于旱季灌溉。'])
    expect(h.text(page, '.vote-action')).toBe('去投票 ›')
    await h.tap(page, '.vote-link')
    const { name, page: vote } = await h.follow()
    expect(name).toBe('vote')
    expect(vote.data.canVote).toBe(true)
    expect(h.text(vote, '.rule-body')).toBe('村民会议（本村18岁以上的村民都能投票）')
  })

  test('a decision recorded before the six steps says so instead of an empty timeline', async () => {
    await phone('zhangdashan')
    const list = await h.call('GET', `/villages/${LJ}/decisions`, { token: await tokenOf('zhangdashan') })
    const id = list.data.items.find((d) => d.title.startsWith('村道硬化修缮工程')).id
    const page = await h.openPage('decision', { id: String(id) })
    expect(h.text(page, '.no-stages')).toContain('没有分步骤的记录')
    expect(h.has(page, '.step')).toBe(false)
    expect(h.text(page, '.decision-status')).toBe('已通过')
  })

  test('another village’s decision is refused in words, not shown', async () => {
    await phone('wuqiang') // 新竹村: 临江村's decisions are not his
    const page = await h.openPage('decision', { id: '2' })
    expect(page.data.loading).toBe(false)
    expect(page.data.error).toMatch(/[\u4e00-\u9fa5]/)
    expect(h.has(page, '.step')).toBe(false)
  })
})
