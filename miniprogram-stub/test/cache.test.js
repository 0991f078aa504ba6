// Kept answers on a weak network (utils/api.js, utils/ui.load) against the real API: the second visit of a page
// shows the last answer at once with its time, asks again with If-None-Match and gets 304; a failing network leaves
// the kept answer on the screen with "网络不好"; a changed answer replaces it; another person on the same phone never
// sees the first one's answers.
const h = require('./harness')

let api
beforeEach(async () => {
  api = require('../utils/api')
  await h.standin('DELETE', 'faults')
})

const KEPT_NOW = /^这是 \d\d:\d\d 的内容，正在更新…$/
const KEPT_OFFLINE = /^网络不好，显示的是 \d\d:\d\d 的内容$/
const pad = (n) => String(n).padStart(2, '0')
const clock = (ms) => `${pad(new Date(ms).getHours())}:${pad(new Date(ms).getMinutes())}`

function homeReads() {
  return h.wxState.requests.filter((r) => r.url.endsWith('/me/home'))
}

function keptKeys() {
  return Array.from(h.wxState.store.keys()).filter((k) => k.startsWith('sv_kept'))
}

describe('a page visited again', () => {
  test('shows the kept answer at once with its time, asks with If-None-Match and gets 304', async () => {
    await h.signedIn('zhangdashan')
    const first = await h.openPage('home')
    expect(first.data.name).toBe('张大山')
    expect(first.data.stale).toBeFalsy()
    const [read] = homeReads()
    expect(read.status).toBe(200)
    expect(read.header['If-None-Match']).toBeUndefined()
    const kept = api.keptAnswer('/me/home')
    expect(kept.etag).toMatch(/^"[0-9a-f]{32}"$/)
    const keptAt = kept.at

    // the network is slow: before any answer arrives, the kept one is on the screen, with its time
    const slow = h.holdRequests()
    const { page, loaded } = h.renderPage('home')
    await h.until(() => slow.held() > 0)
    expect(page.data.loading).toBe(false)
    expect(page.data.error).toBe('')
    expect(page.data.name).toBe('张大山')
    expect(page.data.stale).toMatch(KEPT_NOW)
    expect(page.data.stale).toContain(clock(keptAt))
    expect(h.text(page, '.state-stale-text')).toBe(page.data.stale)
    expect(h.text(page, '.title')).toBe('张大山，您好')

    slow.release()
    expect(await loaded).toBe(true)
    const again = homeReads()[1]
    expect(again.header['If-None-Match']).toBe(kept.etag)
    expect(again.status).toBe(304)
    expect(page.data.stale).toBe('')
    expect(h.has(page, '.state-stale-text')).toBe(false)
    expect(page.data.name).toBe('张大山')
    expect(api.keptAnswer('/me/home').at).toBeGreaterThanOrEqual(keptAt) // confirmed current just now
  })

  test('the network failing leaves the kept answer with "网络不好" and no error screen', async () => {
    await h.signedIn('zhangdashan')
    const first = await h.openPage('dividends')
    expect(first.data.items.length).toBeGreaterThan(0)
    const shown = h.texts(first, '.dividend-item')
    expect(shown.length).toBe(first.data.items.length)
    expect(shown[0]).toContain('元')
    h.wxState.dropWhen = () => true
    const page = await h.openPage('dividends')
    expect(page.data.error).toBe('')
    expect(page.data.loading).toBe(false)
    expect(page.data.stale).toMatch(KEPT_OFFLINE)
    expect(h.text(page, '.state-stale-text')).toBe(page.data.stale)
    expect(page.data.items).toEqual(first.data.items)
    expect(h.texts(page, '.dividend-item')).toEqual(shown)
    expect(h.has(page, '.state-retry')).toBe(false)
    // the reads were tried (and retried) on the network, not answered from the store alone
    expect(h.wxState.requests.filter((r) => r.dropped && r.url.includes('/me/dividends')).length)
      .toBe(1 + require('../config').retryDelays.length)

    // pull-down refresh is the same, and once the network is back the fresh answer clears the line
    h.wxState.dropWhen = null
    await page.instance.onPullDownRefresh()
    expect(page.data.stale).toBe('')
    expect(page.data.error).toBe('')
  })

  test('with nothing kept, a failing network shows the error screen as before', async () => {
    await h.signedIn('zhangdashan')
    h.wxState.dropWhen = () => true
    const page = await h.openPage('dividends')
    expect(page.data.error).toBe(api.MESSAGES.network)
    expect(page.data.stale).toBeFalsy()
  })

  test('a changed answer replaces the kept one, with a new ETag', async () => {
    // 赵德明 (the supervisor, one notice unread): no other test of the mini-program reads his notices
    await h.signedIn('zhaodeming')
    const token = h.wxState.store.get('sv_token')
    const first = await h.openPage('home')
    const unread = first.data.unreadNotices
    expect(unread).toBeGreaterThan(0)
    const before = api.keptAnswer('/me/home')
    const notices = (await h.call('GET', '/me/notices', { token })).data.items
    const unreadOne = notices.find((n) => !n.read)
    // read on another phone (not through this app): this phone's kept home screen is now out of date
    expect((await h.call('POST', `/notices/${unreadOne.id}/read`, { token, body: {} })).statusCode).toBe(204)

    const slow = h.holdRequests()
    const { page, loaded } = h.renderPage('home')
    await h.until(() => slow.held() > 0)
    expect(page.data.unreadNotices).toBe(unread) // the kept answer, marked with its time
    expect(page.data.stale).toMatch(KEPT_NOW)
    slow.release()
    await loaded
    const last = homeReads().pop()
    expect(last.header['If-None-Match']).toBe(before.etag)
    expect(last.status).toBe(200)
    expect(page.data.unreadNotices).toBe(unread - 1)
    expect(page.data.stale).toBe('')
    const after = api.keptAnswer('/me/home')
    expect(after.etag).not.toBe(before.etag)
    expect(after.body.unread_notices).toBe(unread - 1)
  })

  test('after a write of this phone the answers kept before it are not shown, only used to ask', async () => {
    await h.signedIn('lixiuying')
    await h.openPage('home')
    const etag = api.keptAnswer('/me/home').etag
    const notices = await api.get('/me/notices')
    await api.post(`/notices/${notices.items[0].id}/read`, {})
    const slow = h.holdRequests()
    const { page, loaded } = h.renderPage('home')
    await h.until(() => slow.held() > 0)
    expect(page.data.loading).toBe(true) // no kept answer from before the write
    expect(page.data.stale).toBeFalsy()
    slow.release()
    expect(await loaded).toBe(true)
    expect(homeReads().pop().header['If-None-Match']).toBe(etag)
  })
})

describe('a shared phone', () => {
  test('another person logging in never sees the first person’s kept answers', async () => {
    await h.signedIn('zhangdashan')
    await h.openPage('home')
    await h.openPage('dividends')
    expect(keptKeys().length).toBeGreaterThan(1)
    const store = h.wxState.store
    expect(JSON.stringify(Array.from(store.values()))).toContain('张大山')

    await api.logout()
    expect(keptKeys()).toEqual([])
    expect(JSON.stringify(Array.from(store.values()))).not.toContain('张大山')

    h.wxState.person = 'liuxiaomei' // the same phone (the same storage), another WeChat account
    const slow = h.holdRequests()
    const { page, loaded } = h.renderPage('home')
    await h.until(() => slow.held() > 0)
    expect(page.data.loading).toBe(true)
    expect(page.data.name).not.toBe('张大山')
    expect(page.data.stale).toBeFalsy()
    slow.release()
    await loaded
    expect(page.data.name).toBe('刘小梅')
    expect(homeReads().every((r) => !r.header['If-None-Match'])).toBe(true)
  })

  test('a token changed in storage behind the app’s back does not see the answers kept for the old one', async () => {
    await h.signedIn('zhangdashan')
    await h.openPage('home')
    expect(api.keptAnswer('/me/home').body.name).toBe('张大山')
    h.wxState.store.set('sv_token', await h.tokenOf('liuxiaomei'))
    expect(api.keptAnswer('/me/home')).toBeNull()
    h.wxState.dropWhen = () => true
    const page = await h.openPage('home')
    expect(page.data.name).not.toBe('张大山')
    expect(page.data.error).toBe(api.MESSAGES.network)
    expect(keptKeys().filter((k) => k !== 'sv_kept')).toEqual([])
  })

  test('the same person logging in again with a new token starts afresh too', async () => {
    await h.signedIn('zhangdashan')
    await api.get('/me')
    expect(api.keptAnswer('/me')).not.toBeNull()
    api.setToken('another-token')
    expect(keptKeys()).toEqual([])
  })
})

describe('the store', () => {
  test('keeps at most 60 answers, the oldest going first', async () => {
    await h.signedIn('zhangdashan')
    const n = api.KEPT_MAX_ENTRIES + 5
    for (let i = 1; i <= n; i += 1) await api.get('/me/notices', { page: i, page_size: 1 })
    const index = h.wxState.store.get('sv_kept')
    expect(index.items).toHaveLength(api.KEPT_MAX_ENTRIES)
    expect(keptKeys()).toHaveLength(api.KEPT_MAX_ENTRIES + 1)
    expect(api.keptAnswer('/me/notices?page=1&page_size=1')).toBeNull()
    expect(api.keptAnswer(`/me/notices?page=${n}&page_size=1`)).not.toBeNull()
    const size = index.items.reduce((s, i) => s + i.size, 0)
    expect(size).toBeLessThanOrEqual(api.KEPT_MAX_CHARS)
  })

  test('the kept-only run does not touch a request already on the network, and never writes', async () => {
    await h.signedIn('zhangdashan')
    await api.get('/me')
    const slow = h.holdRequests()
    const live = api.get('/me/dividends') // on its way, not kept yet
    await h.until(() => slow.held() === 1)
    const sent = []
    const kept = await api.fromKept(async () => {
      const me = await api.get('/me')
      sent.push(await api.post('/notices/1/read', {}).catch((e) => e.code))
      return { me }
    })
    expect(kept).toBeNull() // the write failed the run: nothing is shown from it
    expect(sent).toEqual(['kept.missing'])
    expect(slow.held()).toBe(1) // nothing else was sent
    const onlyReads = await api.fromKept(async () => ({ me: await api.get('/me') }))
    expect(onlyReads.data.me.name).toBe('张大山')
    expect(typeof onlyReads.at).toBe('number')
    const missing = await api.fromKept(async () => ({ land: await api.get('/me/land').catch(() => null) }))
    expect(missing).toBeNull() // a read not kept fails the run even when the page would swallow the error
    slow.release()
    const dividends = await live
    expect(dividends.items.length).toBeGreaterThan(0)
    expect(h.wxState.requests.filter((r) => r.url.includes('/me/dividends')).map((r) => r.status)).toEqual([200])
  })

  test('console log-in tickets are never kept', async () => {
    await h.signedIn('wangjianguo')
    const r = await h.call('POST', '/auth/console-tickets', { body: { browser: 'Chrome' } })
    const code = r.data.code
    await api.get(`/auth/console-tickets/${code}/request`)
    expect(api.keptAnswer(`/auth/console-tickets/${code}/request`)).toBeNull()
    await api.get(`/auth/console-tickets/${code}/request`)
    const reads = h.wxState.requests.filter((q) => q.url.endsWith('/request'))
    expect(reads.map((q) => [q.status, q.header['If-None-Match']])).toEqual([[200, undefined], [200, undefined]])
  })
})

describe('the time of a kept answer', () => {
  test('today only the time; another day the date too; another year the year too', () => {
    const ui = require('../utils/ui')
    const now = new Date(2026, 11, 6, 15, 0)
    expect(ui.keptTime(new Date(2026, 11, 6, 12, 30).getTime(), now)).toBe('12:30')
    expect(ui.keptTime(new Date(2026, 11, 5, 9, 5).getTime(), now)).toBe('12月5日 09:05')
    expect(ui.keptTime(new Date(2025, 2, 1, 23, 59).getTime(), now)).toBe('2025年3月1日 23:59')
  })
})
