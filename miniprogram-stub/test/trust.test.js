// Trust on the phone: 张大山 (LJ-005, docs/demo.md) sees how his own rent figure is made — his two parcels in the
// 荣联 contract (1.20 + 2.00 mu) × 800.00, not the contract's 310 mu — and the home screen tells him in plain
// sentences what reached the household this year and what is still owed, at the phone's text size.
const h = require('./harness')

beforeEach(() => h.installWx({ person: 'zhangdashan' }))

describe('/me/land: the note under 今年我家应得', () => {
  test('is the household’s own arithmetic: 1.2 + 2 = 3.2 mu × 800.00 = 2,560.00 元', async () => {
    const page = await h.openPage('land')
    expect(page.data.error).toBe('')
    const rongLian = page.data.contracts.find((c) => c.operator.includes('荣联'))
    expect(rongLian.dueText).toBe('2,560.00 元')
    expect(rongLian.note).toBe('您家在本合同中有 1.2 + 2 = 3.2 亩，每亩每年 800.00 元，3.2 × 800.00 = 2,560.00 元。')
    // what the screen shows: his area and the price laid out, the sentence under them, and no 310 mu anywhere
    expect(h.text(page, '.rent-note')).toBe(rongLian.note)
    expect(h.text(page, '.my-area')).toBe('3.2 亩')
    expect(h.text(page, '.price-per-mu')).toBe('800.00 元/亩')
    expect(h.has(page, '.fee')).toBe(false) // the collective's fee is paid on top by 荣联, not taken from his rent
    expect(h.texts(page, '.contract').join(' ')).not.toMatch(/310/)
  })
})

describe('the home screen’s summary', () => {
  test('says in sentences what was received this year and what is still owed, as the API does', async () => {
    const page = await h.openPage('home')
    expect(page.data.error).toBe('')
    const token = await h.tokenOf('zhangdashan')
    const api = (await h.call('GET', '/me/home', { token })).data
    const s = api.summary
    expect(s.sentences.length).toBeGreaterThanOrEqual(2)
    // the two kinds of sentence, on the screen in that order
    expect(h.text(page, '.summary-received')).toBe(s.received)
    expect(h.texts(page, '.summary-owed')).toEqual(s.owed)
    expect(h.texts(page, '.summary-line')).toEqual(s.sentences)
    // LJ-005 on the demo's day: 250.00 of dividends and 2,560.00 of rent came this year, nothing is left
    // (the demo's dates follow the day it is seeded, so the figures are read from the money card)
    // received: the money card's figure in words (his land rent, passed on this year, among it)
    const m = api.money_this_year
    if (m.land_rent !== '0.00') expect(s.received).toContain(`土地租金 ${require('../utils/format').money(m.land_rent)}`)
    if (m.total === '0.00') expect(s.received).toBe('今年还没有钱到账。')
    else expect(s.received).toMatch(/^今年已到账/)
    // owed: each with its date, or that everything due has come
    for (const item of s.owed_items) {
      if (item.by) expect(item.text).toMatch(/\d+月\d+日/)
      if (item.amount) expect(item.text).toContain(require('../utils/format').money(item.amount))
    }
    if (!s.owed_items.length) expect(s.owed).toEqual([m.total === '0.00' ? '目前没有待到账的钱。' : '今年应得的都已到账。'])
    // short sentences: about 30 Chinese characters at most
    for (const line of s.sentences) expect((line.match(/[\u4e00-\u9fff]/g) || []).length).toBeLessThanOrEqual(30)
  })

  test('follows the phone’s text size: the page’s root font grows with the setting, the sentences are in rem', async () => {
    const normal = await h.openPage('home')
    expect(normal.data.rootFontSize).toBe('18px')
    h.installWx({ person: 'zhangdashan', fontSizeSetting: 26 })
    const large = await h.openPage('home')
    expect(large.data.error).toBe('')
    expect(Number(large.data.rootFontSize.replace('px', ''))).toBeGreaterThan(18)
    expect(h.has(large, '.summary-received')).toBe(true)
    const wxss = require('fs').readFileSync(require('path').join(h.ROOT, 'pages/home/home.wxss'), 'utf8')
    expect(wxss).toMatch(/\.summary-line \{[^}]*font-size: [\d.]+rem/)
  })

  test('township staff, without a household, get no summary and no error', async () => {
    h.installWx({ person: 'zhengwen' })
    const page = await h.openPage('home')
    expect(page.data.error).toBe('')
    expect(page.data.summary).toBe(null)
    expect(h.has(page, '.summary-received')).toBe(false)
  })
})
