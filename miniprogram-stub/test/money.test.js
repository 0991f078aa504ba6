// 张大山 (LJ-005) reads his household's money: DEMO.md fixes 3 成员股 + 2 劳龄股 at 50.00 = 250.00 paid,
// and 1.20 + 2.00 mu transferred to 荣联 at 800.00 per mu = 2560.00 due this year, paid.
const h = require('./harness')

beforeEach(() => h.installWx({ person: 'zhangdashan' }))

describe('dividends', () => {
  test('the list shows last year’s dividend, paid, at 50.00 per share', async () => {
    const page = await h.openPage('dividends')
    expect(page.data.error).toBe('')
    const items = h.texts(page, '.dividend-item')
    expect(items).toHaveLength(1)
    expect(items[0]).toContain('250.00 元')
    expect(items[0]).toContain('5 股')
    expect(items[0]).toContain('50.00 元')
    expect(h.text(page, '.status')).toBe('已发放')
  })

  test('the statement adds up: shares by type and member, per share, total', async () => {
    const list = await h.openPage('dividends')
    await h.tap(list, '.dividend-item')
    const { name, page } = await h.follow()
    expect(name).toBe('dividend')
    expect(page.data.error).toBe('')
    const types = Object.fromEntries(page.data.shares_by_type.map((t) => [t.name, t.shares]))
    expect(types).toEqual({ 成员股: 3, 劳龄股: 2 })
    // each component is units × per share, and the components add up to the total shown
    let fen = 0
    for (const c of page.data.components) {
      expect(c.units * Math.round(Number(c.per_share) * 100)).toBe(Math.round(Number(c.amount) * 100))
      fen += Math.round(Number(c.amount) * 100)
    }
    expect(fen).toBe(25000)
    expect(h.text(page, '.total')).toBe('250.00 元')
    expect(page.data.members.map((m) => m.name)).toContain('张大山')
    expect(page.data.seal).toMatch(/^[0-9a-f]{64}$/)
  })

  test('another household’s statement is refused in words, not shown', async () => {
    // 陈桂兰's household has its own line in the same distribution; 张大山 asks for a distribution id that is not his
    const page = await h.openPage('dividend', { id: '999999' })
    expect(page.data.loading).toBe(false)
    expect(page.data.error).toMatch(/[\u4e00-\u9fa5]/)
    expect(h.text(page, '.state-text')).toBe(page.data.error)
    expect(h.has(page, '.total')).toBe(false)
  })
})

describe('land and rent', () => {
  test('his parcels and this year’s rent: 1.20 + 2.00 mu at 800.00 → 2560.00, paid', async () => {
    const page = await h.openPage('land')
    expect(page.data.error).toBe('')
    const rongLian = page.data.contracts.find((c) => c.operator.includes('荣联'))
    expect(rongLian).toBeTruthy()
    expect(rongLian.parcelsText).toContain('1.2')
    expect(rongLian.parcelsText).toContain('2')
    expect(rongLian.dueText).toBe('2,560.00 元')
    expect(rongLian.paidText).toBe('2,560.00 元')
    expect(rongLian.paidAll).toBe(true)
    expect(page.data.totalMu).toBe(require('../utils/format').sumMu(page.data.parcels.map((p) => p.area_mu)))
    expect(page.data.history.length).toBeGreaterThan(0)
  })

  test('opened from the printed land-rent 公示 (?year=…): that year’s rows are marked, no other', async () => {
    const plain = await h.openPage('land')
    const year = plain.data.history[0].periodText.slice(0, 4)
    expect(plain.data.history.every((r) => r.current === false)).toBe(true)
    const page = await h.openPage('land', { year })
    expect(page.data.error).toBe('')
    const marked = page.data.history.filter((r) => r.current)
    expect(marked.length).toBeGreaterThan(0)
    expect(marked.every((r) => r.periodText.startsWith(year))).toBe(true)
    expect(page.data.history.filter((r) => !r.current).every((r) => !r.periodText.startsWith(year))).toBe(true)
  })
})

describe('a villager with no household sees words, not a crash', () => {
  test('township staff: /me/land answers and the page explains', async () => {
    h.installWx({ person: 'zhengwen' })
    const page = await h.openPage('dividends')
    expect(page.data.loading).toBe(false)
    // either an empty list explained, or the server's refusal in Chinese
    if (page.data.error) expect(page.data.error).toMatch(/[\u4e00-\u9fa5]/)
    else expect(h.text(page, '.state-text')).toBe('您家还没有分红记录')
  })
})
