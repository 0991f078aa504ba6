// Binding a WeChat account to a member of the roster, from the login page. 张小燕 (LJ01, ID ending 010829) is
// the demo's one unbound member; the tests run in this order.
const h = require('./harness')

const CHINESE = /[\u4e00-\u9fa5]/

describe('login and binding', () => {
  test('a bound villager goes straight to the home page', async () => {
    h.installWx({ person: 'zhangdashan' })
    await h.openPage('login')
    expect(h.wxState.navigations).toEqual([{ kind: 'reLaunch', url: '/pages/home/home' }])
    expect(h.wxState.store.get('sv_token')).toBeTruthy()
  })

  test('an unbound account sees the form; a malformed ID ending is refused before anything is sent', async () => {
    h.installWx({ person: 'zhangxiaoyan' })
    const page = await h.openPage('login')
    expect(page.data.checking).toBe(false)
    expect(page.data.ticket).toBeTruthy()
    page.setData({ villageCode: 'lj01', name: '张小燕', idLast6: '12345' })
    const sent = h.wxState.requests.length
    await h.tap(page, '.bind-btn')
    expect(h.text(page, '.form-error')).toContain('6个字符')
    expect(h.wxState.requests.length).toBe(sent)
  })

  test('a wrong ID ending: the server’s Chinese refusal is shown and nothing is bound', async () => {
    h.installWx({ person: 'zhangxiaoyan' })
    const page = await h.openPage('login')
    page.setData({ villageCode: 'LJ01', name: '张小燕', idLast6: '000000' })
    await page.instance.onBind()
    expect(page.data.formError).toMatch(CHINESE)
    expect(h.wxState.navigations).toEqual([])
    expect(h.wxState.modals.at(-1).content).toBe(page.data.formError)
    expect(h.wxState.store.get('sv_token') || '').toBe('')
  })

  test('a phone number that is not on the roster is refused in words', async () => {
    h.installWx({ person: 'zhangxiaoyan' })
    const page = await h.openPage('login')
    await page.instance.onPhoneNumber({ detail: { code: 'phone-13999999999' } })
    expect(page.data.formError).toMatch(CHINESE)
    expect(h.wxState.navigations).toEqual([])
  })

  test('a cancelled phone prompt explains the other way, and sends nothing', async () => {
    h.installWx({ person: 'zhangxiaoyan' })
    const page = await h.openPage('login')
    const sent = h.wxState.requests.length
    await page.instance.onPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })
    expect(page.data.formError).toContain('方法二')
    expect(h.wxState.requests.length).toBe(sent)
  })

  test('a stale ticket is renewed once and the binding goes through; then home', async () => {
    h.installWx({ person: 'zhangxiaoyan' })
    const page = await h.openPage('login', { ticket: 'expired-ticket' })
    page.setData({ villageCode: 'lj01', name: ' 张小燕 ', idLast6: '010829' })
    await h.tap(page, '.bind-btn')
    await h.until(() => h.wxState.navigations.length > 0)
    expect(h.wxState.navigations).toEqual([{ kind: 'reLaunch', url: '/pages/home/home' }])
    const binds = h.wxState.requests.filter((r) => r.url.endsWith('/auth/bind')).map((r) => r.status)
    expect(binds).toEqual([401, 200])
    const token = h.wxState.store.get('sv_token')
    const me = await h.call('GET', '/me', { token })
    expect(me.data.member.name).toBe('张小燕')
  })

  test('the same person cannot be bound to a second WeChat account', async () => {
    h.installWx({ person: 'someone-else-phone' })
    const page = await h.openPage('login')
    page.setData({ villageCode: 'LJ01', name: '张小燕', idLast6: '010829' })
    await page.instance.onBind()
    expect(page.data.formError).toContain('已绑定')
    expect(h.wxState.navigations).toEqual([])
  })
})
