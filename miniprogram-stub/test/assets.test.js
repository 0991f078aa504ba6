// 三资 (pages assets and asset) against the seeded demo (backend/demo/assets.py): 临江村's register as 张大山 (a
// villager) reads it — 资产 with the old 村部 rented to 惠农粮油 (出租, its lease to the day), the idle 原粮站仓库,
// 资源 with 十里荷塘's 320 亩, 资金 with the balances from the books — and an entry's public detail. 新竹村's 吴强
// cannot open 临江村's register; an unreachable server shows its Chinese message.
const h = require('./harness')
const fmt = require('../utils/format')

const phone = (person) => h.signedIn(person)
const tokenOf = (person) => h.tokenOf(person)
const LJ = 1
const api = {}

beforeAll(async () => {
  const token = await tokenOf('zhangdashan')
  const r = await h.call('GET', `/villages/${LJ}/assets?page_size=100`, { token })
  api.items = r.data.items
  api.summary = (await h.call('GET', `/villages/${LJ}/assets/summary`, { token })).data
  api.shop = api.items.find((a) => a.code === 'LJ-ZC-001')
})

describe('assets', () => {
  test('张大山 sees the three sections with their totals and each entry in words', async () => {
    await phone('zhangdashan')
    const page = await h.openPage('assets', { village: String(LJ) })
    expect(page.data.error).toBe('')
    expect(h.texts(page, '.tab-name')).toEqual(['资产', '资源', '资金'])
    expect(h.text(page, '.total-value')).toBe(fmt.money(api.summary.asset.book_value))
    const names = h.texts(page, '.entry-name')
    expect(names).toContain('老村部（临街门面）')
    expect(names).toContain('原粮站仓库')
    expect(names).not.toContain('手扶拖拉机（旧）') // disposed: left out, counted below
    expect(h.text(page, '.disposed-note')).toContain('1 项已经处置')
    const cards = h.texts(page, '.entry')
    const shop = cards.find((c) => c.startsWith('老村部'))
    expect(shop).toContain('出租')
    expect(shop).toContain('门面商铺')
    expect(shop).toContain(`租给惠农粮油有限公司，到${fmt.date(api.shop.lease_until)}`)
    expect(cards.find((c) => c.startsWith('原粮站仓库'))).toContain('闲置')
    expect(cards.find((c) => c.startsWith('小型挖掘机'))).toContain('128,000.00 元')

    page.instance.onTab({ currentTarget: { dataset: { kind: 'resource' } } })
    expect(h.texts(page, '.entry-name')).toContain('十里荷塘')
    expect(h.texts(page, '.entry').find((c) => c.startsWith('十里荷塘'))).toContain('320 亩')
    expect(h.text(page, '.tab-on')).toContain('资源')
    expect(h.text(page, '.total-value')).toBe(`${api.summary.resource.area_mu} 亩`)

    page.instance.onTab({ currentTarget: { dataset: { kind: 'fund' } } })
    const funds = h.texts(page, '.entry')
    const bank = api.items.find((a) => a.code === 'LJ-ZJ-001')
    expect(funds.find((c) => c.startsWith('基本存款账户'))).toContain(fmt.money(bank.book_value))
    expect(h.text(page, '.total-value')).toBe(fmt.money(api.summary.fund.book_value))
  })

  test('an entry\'s public detail: where it is, its status, who rents it until when', async () => {
    await phone('zhangdashan')
    const list = await h.openPage('assets', { village: String(LJ) })
    const index = h.texts(list, '.entry-name').indexOf('老村部（临街门面）')
    list.instance.goAsset({ currentTarget: { dataset: { id: api.shop.id } } })
    expect(index).toBeGreaterThanOrEqual(0)
    const { name, page } = await h.follow()
    expect(name).toBe('asset')
    expect(page.data.error).toBe('')
    expect(h.text(page, '.asset-name')).toBe('老村部（临街门面）')
    expect(h.text(page, '.asset-status')).toBe('出租')
    expect(h.text(page, '.asset-location')).toContain('村委会西侧')
    expect(h.text(page, '.lease-party')).toBe('惠农粮油有限公司')
    expect(h.text(page, '.lease-until')).toBe(fmt.date(api.shop.lease_until))
    expect(h.text(page, '.lease-contract')).toContain('LJZL-001')
    // the villager's answer carries no staff-only fields
    const raw = await h.call('GET', `/assets/${api.shop.id}`, { token: await tokenOf('zhangdashan') })
    expect(raw.data.events).toBeUndefined()
    expect(raw.data.vouchers).toBeUndefined()
  })

  test('another village\'s villager cannot open the register; a failed network shows the Chinese message', async () => {
    await phone('wuqiang')
    const page = await h.openPage('assets', { village: String(LJ) })
    expect(page.data.error).not.toBe('')
    expect(page.data.sections).toEqual([])
    await phone('zhangdashan')
    h.wxState.dropWhen = () => true
    const offline = await h.openPage('asset', { id: String(api.shop.id) })
    expect(offline.data.error).toMatch(/[\u4e00-\u9fff]/)
    expect(offline.data.asset).toBeNull()
  })
})
