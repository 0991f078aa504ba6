// 集体合同 (page contracts) against the seeded demo: 临江村's contracts in words for 张大山 (a villager) — the land
// leases beside the collective's 村庄保洁外包 (36,000.00 元, the collective pays, ends in 60 days: said in red) and the
// road machinery lease (24,000.00 元, paid to the collective); no phone numbers or deposits reach the phone; another
// village is refused in words; a kept list shows with its time on a slow network.
const h = require('./harness')

const LJ = 1

function card(page, title) {
  return page.data.contracts.find((c) => c.title === title)
}

describe('contracts', () => {
  test('张大山 sees the village’s contracts in words, land’s and the others', async () => {
    await h.signedIn('zhangdashan')
    const page = await h.openPage('contracts')
    expect(page.data.error).toBe('')
    const titles = h.texts(page, '.contract-title')
    expect(titles).toContain('村庄保洁外包')
    expect(titles).toContain('道路机械（压路机、挖掘机）出租')
    expect(titles).toContain('村委会西侧临街门面出租（粮食收购及农资服务点）')
    expect(titles.length).toBe(page.data.total)

    const cleaning = card(page, '村庄保洁外包')
    expect(cleaning.counterparty).toBe('清源保洁服务部')
    expect(cleaning.amountText).toBe('36,000.00 元')
    expect(cleaning.directionText).toBe('村集体付给对方')
    expect(cleaning.leftText).toBe('还有 60 天到期')
    expect(cleaning.soon).toBe(true)
    expect(cleaning.termText).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 至 \d{4}年\d{1,2}月\d{1,2}日$/)
    const i = titles.indexOf('村庄保洁外包')
    expect(h.texts(page, '.contract-left')[i]).toBe('还有 60 天到期')
    expect(h.texts(page, '.contract-amount')[i]).toBe('36,000.00 元')

    const machines = card(page, '道路机械（压路机、挖掘机）出租')
    expect(machines.kindText).toBe('资产出租')
    expect(machines.amountText).toBe('24,000.00 元')
    expect(machines.directionText).toBe('对方付给村集体')
    expect(machines.soon).toBe(false)
  })

  test('the public fields only: no phone, deposit or arrears reaches a villager', async () => {
    const token = await h.tokenOf('zhangdashan')
    const r = await h.call('GET', `/villages/${LJ}/contracts?page_size=100`, { token })
    expect(r.statusCode).toBe(200)
    for (const c of r.data.items) {
      expect(c.counterparty_phone).toBeNull()
      expect(c.counterparty_code).toBeNull()
      expect(c.deposit).toBeNull()
      expect(c.overdue_amount).toBeNull()
    }
  })

  test('a villager of another village is refused in words', async () => {
    await h.signedIn('zhangdashan')
    const page = await h.openPage('contracts', { village: '3' })
    expect(page.data.error).not.toBe('')
    expect(page.data.error).toMatch(/[\u4e00-\u9fff]/)
  })

  test('a slow network shows the kept list with its time, then the current one', async () => {
    await h.signedIn('zhangdashan')
    const first = await h.openPage('contracts')
    const shown = h.texts(first, '.contract-title')
    const slow = h.holdRequests()
    const { page, loaded } = h.renderPage('contracts')
    await h.until(() => slow.held() > 0)
    expect(page.data.loading).toBe(false)
    expect(page.data.stale).toMatch(/[\u4e00-\u9fff]/)
    expect(h.texts(page, '.contract-title')).toEqual(shown)
    slow.release()
    expect(await loaded).toBe(true)
    expect(page.data.stale).toBe('')
  })
})
