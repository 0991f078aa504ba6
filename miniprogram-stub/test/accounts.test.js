// The collective's accounts and a published disclosure, whose seal the phone checks by itself.
const h = require('./harness')
const { sha256 } = require('../utils/sha256')

let villageId
beforeAll(async () => {
  const token = await h.tokenFor('zhangdashan')
  villageId = (await h.call('GET', '/me', { token })).data.village.id
})
beforeEach(() => h.installWx({ person: 'zhangdashan' }))

describe('accounts', () => {
  test('the year’s summary agrees with the API, and only categories with money are listed', async () => {
    const page = await h.openPage('accounts', { village: String(villageId) })
    expect(page.data.error).toBe('')
    const token = await h.tokenFor('zhangdashan')
    const s = (await h.call('GET', `/villages/${villageId}/accounts/summary?year=${page.data.year}`, { token })).data
    expect(h.text(page, '.income-total')).toBe(require('../utils/format').money(s.income_total))
    expect(h.text(page, '.expense-total')).toBe(require('../utils/format').money(s.expense_total))
    const nonZero = s.by_category.filter((c) => c.income !== '0.00' || c.expense !== '0.00')
    expect(page.data.summary.categories.map((c) => c.category)).toEqual(nonZero.map((c) => c.category))
    // the demo publishes the last three completed quarters, newest first
    expect(page.data.disclosures.length).toBeGreaterThanOrEqual(3)
  })

  test('choosing last year asks for last year', async () => {
    const page = await h.openPage('accounts', { village: String(villageId) })
    const lastYear = page.data.years[1]
    const buttons = page.querySelectorAll('.year-btn')
    buttons[1].dispatchEvent('tap')
    await h.until(() => !page.data.loading && page.data.year === lastYear)
    expect(h.wxState.requests.some((r) => r.url.includes(`summary?year=${lastYear}`))).toBe(true)
  })

  test('a village that is not his is refused in words', async () => {
    const page = await h.openPage('accounts', { village: '999999' })
    expect(page.data.error).toMatch(/[\u4e00-\u9fa5]/)
    expect(h.text(page, '.state-text')).toBe(page.data.error)
  })
})

describe('a disclosure and its seal', () => {
  test('lines, totals, approval and a seal the phone recomputes', async () => {
    const accounts = await h.openPage('accounts', { village: String(villageId) })
    await h.tap(accounts, '.disclosure-row')
    const { name, query, page } = await h.follow()
    expect(name).toBe('disclosure')
    expect(page.data.error).toBe('')
    expect(page.data.sealOk).toBe(true)
    expect(h.text(page, '.seal-check')).toContain('一致')
    expect(page.data.approvedBy).toBeTruthy()
    expect(page.data.lines.length).toBeGreaterThan(0)
    // the seal shown is the hash of the previous seal and the sealed text, as the server says it is
    const token = await h.tokenFor('zhangdashan')
    const d = (await h.call('GET', `/disclosures/${query.id}`, { token })).data
    expect(sha256(`${d.prev_seal}\n${d.sealed_content}`)).toBe(page.data.seal)
  })

  test('a single changed character in what the server sends is caught on the phone', async () => {
    const token = await h.tokenFor('zhangdashan')
    const list = (await h.call('GET', `/villages/${villageId}/disclosures`, { token })).data
    const id = list.items[0].id
    // tamper with the answer in transit: change one amount in the sealed text
    const realRequest = wx.request
    wx.request = (options) => realRequest({
      ...options,
      success: (res) => {
        if (options.url.endsWith(`/disclosures/${id}`) && res.data.sealed_content) {
          res.data.sealed_content = res.data.sealed_content.replace(/"income_total":"?(\d)/, (m, d) => m.replace(d, d === '9' ? '8' : '9'))
        }
        options.success(res)
      },
    })
    const page = await h.openPage('disclosure', { id: String(id) })
    expect(page.data.sealOk).toBe(false)
    expect(h.text(page, '.seal-check')).toContain('对不上')
  })

  test('a villager asks about a line; the question is listed; a bad line number is refused before sending', async () => {
    h.installWx({ person: 'liuxiaomei' })
    const token = await h.tokenFor('liuxiaomei')
    const list = (await h.call('GET', `/villages/${villageId}/disclosures`, { token })).data
    const id = list.items[list.items.length - 1].id
    const page = await h.openPage('disclosure', { id: String(id) })
    const before = page.data.questions.length
    page.setData({ askLine: '0', askText: '这笔钱是做什么的？' })
    const sent = h.wxState.requests.length
    await page.instance.onAsk()
    expect(page.data.askError).toContain('1 到')
    expect(h.wxState.requests.length).toBe(sent) // nothing went to the server
    page.setData({ askLine: '1', askText: '这笔钱是做什么的？' })
    await page.instance.onAsk()
    await h.until(() => page.data.questions.length === before + 1)
    const q = page.data.questions[page.data.questions.length - 1]
    expect(q.text).toBe('这笔钱是做什么的？')
    const post = h.wxState.requests.find((r) => r.method === 'POST' && r.url.endsWith('/questions'))
    expect(post.status).toBe(201)
    expect(post.header['Idempotency-Key']).toMatch(/^mp-/)
  })
})
