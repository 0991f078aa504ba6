// Notices (pages notices and notice) against the seeded demo: 郑雯's pinned township notice to every 青山镇 village,
// and 临江村's notice about the water. 张大山 only reads the list; 吴强 (新竹村) reads notices, and the one 周海
// publishes here for 新竹村 — so nobody else's unread counts move.
const h = require('./harness')

// each test gets a fresh phone already signed in (one login per person per file)
const phone = (person) => h.signedIn(person)
const tokenOf = (person) => h.tokenOf(person)
const fmt = require('../utils/format')

async function myNotices(person) {
  return (await h.call('GET', '/me/notices', { token: await tokenOf(person) })).data
}

describe('notices', () => {
  test('the list: pinned first, 未读 where not read, who sent it (镇里/村里) and the date', async () => {
    await phone('zhangdashan')
    const api = await myNotices('zhangdashan')
    const page = await h.openPage('notices')
    expect(page.data.error).toBe('')
    expect(page.data.items.map((n) => n.id)).toEqual(api.items.map((n) => n.id))
    const cards = h.texts(page, '.notice-item')
    expect(cards).toHaveLength(api.total)
    // the pinned township notice heads the list
    expect(api.items[0].pinned).toBe(true)
    expect(cards[0]).toContain('置顶')
    expect(cards[0]).toContain('秋冬季森林防火和安全用电通知')
    expect(cards[0]).toContain('镇里 · 青山镇')
    expect(cards[0]).toContain(fmt.date(api.items[0].published_at))
    const water = cards.find((t) => t.includes('自来水管网检修停水'))
    expect(water).toContain('村里 · 临江村')
    expect(water).not.toContain('置顶')
    // 未读 exactly on the notices the server says are unread
    api.items.forEach((n, i) => expect(cards[i].includes('未读')).toBe(!n.read))
    const unread = api.items.filter((n) => !n.read).length
    expect(h.text(page, '.summary')).toBe(unread ? `${unread} 条通知还没看` : '通知都看过了')
  })

  test('reading a notice: the full text with its line breaks, then /me/notices shows it read', async () => {
    await phone('wuqiang')
    const before = await myNotices('wuqiang')
    const fire = before.items.find((n) => n.title === '秋冬季森林防火和安全用电通知')
    expect(fire.read).toBe(false)
    const list = await h.openPage('notices')
    expect(h.texts(list, '.notice-item')[list.data.items.findIndex((n) => n.id === fire.id)]).toContain('未读')

    const index = list.data.items.findIndex((n) => n.id === fire.id)
    list.querySelectorAll('.notice-item')[index].dispatchEvent('tap')
    await h.settle()
    const { name, page } = await h.follow()
    expect(name).toBe('notice')
    expect(page.data.error).toBe('')
    expect(h.text(page, '.notice-title')).toBe('秋冬季森林防火和安全用电通知')
    expect(h.text(page, '.notice-pinned')).toBe('置顶')
    expect(h.text(page, '.notice-source')).toBe(`镇里发的（青山镇） · ${fmt.dateTime(fire.published_at)}`)
    const full = (await h.call('GET', `/notices/${fire.id}`, { token: await tokenOf('wuqiang') })).data.body
    expect(full.split('\n').length).toBeGreaterThan(3)
    expect(h.texts(page, '.body-line')).toEqual(full.split('\n').map((l) => l.replace(/\s+/g, ' ').trim()))
    const reads = h.wxState.requests.filter((r) => r.url.endsWith(`/notices/${fire.id}/read`))
    expect(reads.map((r) => [r.method, r.status])).toEqual([['POST', 204]])

    const after = await myNotices('wuqiang')
    expect(after.items.find((n) => n.id === fire.id).read).toBe(true)
    // back on the list: no longer 未读
    await list.instance.onShow()
    await h.until(() => !list.data.loading)
    expect(h.texts(list, '.notice-item')[list.data.items.findIndex((n) => n.id === fire.id)]).not.toContain('未读')
    const unread = after.items.filter((n) => !n.read).length
    expect(h.text(list, '.summary')).toBe(unread ? `${unread} 条通知还没看` : '通知都看过了')

    // opening it again sends no second read receipt
    await h.openPage('notice', { id: String(fire.id) })
    expect(h.wxState.requests.filter((r) => r.url.endsWith(`/notices/${fire.id}/read`))).toHaveLength(1)
  })

  test('a read receipt that fails does not hide the notice, and is sent the next time it is opened', async () => {
    const zhouhai = await tokenOf('zhouhai')
    const me = await h.call('GET', '/me', { token: zhouhai })
    const published = await h.call('POST', `/villages/${me.data.village.id}/notices`, {
      token: zhouhai,
      body: {
        title: '新竹村春耕用水安排',
        body: '各位村民：\n\n今年春耕放水从3月10日开始。\n请各组按顺序用水。',
        category: '通知',
        attachments: ['https://example.org/files/%E6%94%BE%E6%B0%B4%E9%A1%BA%E5%BA%8F%E8%A1%A8.pdf', '纸质放水表贴在村委会门口'],
      },
    })
    expect(published.statusCode).toBe(201)
    const id = published.data.id

    await phone('wuqiang')
    h.wxState.dropWhen = (o) => /\/read$/.test(o.url)
    const page = await h.openPage('notice', { id: String(id) })
    expect(page.data.error).toBe('')
    expect(page.data.loading).toBe(false)
    expect(h.text(page, '.notice-title')).toBe('新竹村春耕用水安排')
    expect(h.texts(page, '.body-line')).toEqual(['各位村民：', '', '今年春耕放水从3月10日开始。', '请各组按顺序用水。'])
    expect(h.texts(page, '.attachment-name')).toEqual(['放水顺序表.pdf', '纸质放水表贴在村委会门口'])
    expect(h.wxState.requests.filter((r) => r.dropped).length).toBeGreaterThan(0)
    expect(h.wxState.modals).toHaveLength(0) // nothing pops up over the notice
    expect((await myNotices('wuqiang')).items.find((n) => n.id === id).read).toBe(false)

    // the link can be copied to open in a browser
    await h.tap(page, '.attachment')
    expect(h.wxState.clipboard).toBe(published.data.attachments[0])
    expect(h.text(page, '.copied')).toContain('链接已复制')

    h.wxState.dropWhen = null
    await h.openPage('notice', { id: String(id) })
    expect((await myNotices('wuqiang')).items.find((n) => n.id === id).read).toBe(true)
  })

  test('a notice not meant for the caller is refused in words', async () => {
    await phone('wuqiang') // 新竹村: 临江村's own notice is not his
    const water = (await myNotices('zhangdashan')).items.find((n) => n.title.includes('自来水管网检修停水'))
    const page = await h.openPage('notice', { id: String(water.id) })
    expect(page.data.error).toMatch(/[\u4e00-\u9fa5]/)
    expect(h.has(page, '.notice-body')).toBe(false)
    expect(h.wxState.requests.filter((r) => r.url.endsWith('/read'))).toHaveLength(0)
  })
})
