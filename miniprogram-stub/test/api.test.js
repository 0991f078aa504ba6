// utils/api.js against the real API and WeChat stand-in: tokens, re-login, errors in Chinese, retries.
const h = require('./harness')

let api
beforeEach(async () => {
  h.installWx({ person: 'zhangdashan' })
  api = require('../utils/api')
  await h.standin('DELETE', 'faults')
})
afterAll(() => h.standin('DELETE', 'faults'))

const CHINESE = /[\u4e00-\u9fa5]/

describe('token and login', () => {
  test('the first call logs in through wx.login and keeps the token', async () => {
    const me = await api.get('/me')
    expect(me.member.name).toBe('张大山')
    expect(h.wxState.logins).toBe(1)
    expect(api.getToken()).toBeTruthy()
    await api.get('/me')
    expect(h.wxState.logins).toBe(1) // the token is reused
  })

  test('a token the server no longer accepts: one re-login, then the call succeeds', async () => {
    api.setToken('not-a-token')
    const me = await api.get('/me')
    expect(me.member.name).toBe('张大山')
    expect(h.wxState.logins).toBe(1)
    const statuses = h.wxState.requests.filter((r) => r.url.endsWith('/me')).map((r) => r.status)
    expect(statuses).toEqual([401, 200])
  })

  test('after logout the old token stops working and the next call logs in again', async () => {
    await api.get('/me')
    const old = api.getToken()
    await api.logout()
    expect(api.getToken()).toBe('')
    const r = await h.call('GET', '/me', { token: old })
    expect(r.statusCode).toBe(401)
    await api.get('/me')
    expect(h.wxState.logins).toBe(2)
  })

  test('many calls that all meet a 401 share one login', async () => {
    api.setToken('expired')
    const results = await Promise.all([api.get('/me'), api.get('/me/dividends'), api.get('/me/notices')])
    expect(results[0].member.name).toBe('张大山')
    expect(h.wxState.logins).toBe(1)
  })

  test('a WeChat account bound to nobody: the call says so and carries the bind ticket', async () => {
    h.installWx({ person: 'stranger-api-test' })
    await expect(api.get('/me')).rejects.toMatchObject({ code: 'auth.not_bound', status: 401 })
    try { await api.get('/me') } catch (e) { expect(e.details.bind_ticket).toBeTruthy(); expect(e.message).toMatch(CHINESE) }
  })

  test('WeChat busy once: login is tried again with a fresh code and succeeds', async () => {
    await h.standin('POST', 'faults', { path: '/sns/jscode2session', mode: 'errcode', errcode: -1, times: 1 })
    const me = await api.get('/me')
    expect(me.member.name).toBe('张大山')
    expect(h.wxState.logins).toBe(2)
    const logins = h.wxState.requests.filter((r) => r.url.endsWith('/auth/wechat-login')).map((r) => r.status)
    expect(logins).toEqual([502, 200])
  })

  test('WeChat down for good: a Chinese message after a bounded number of tries', async () => {
    await h.standin('POST', 'faults', { path: '/sns/jscode2session', mode: 'http500' })
    const err = await api.get('/me').catch((e) => e)
    expect(err.status).toBe(502)
    expect(err.code).toBe('wechat.unavailable')
    expect(err.message).toMatch(CHINESE)
    expect(h.wxState.logins).toBe(1 + require('../config').retryDelays.length)
  })
})

describe('errors and retries', () => {
  test('the server’s error becomes an ApiError with its code and Chinese message', async () => {
    const err = await api.get('/votes/987654').catch((e) => e)
    expect(err).toBeInstanceOf(api.ApiError)
    expect(err.status).toBe(404)
    expect(err.code).toBeTruthy()
    expect(err.message).toMatch(CHINESE)
  })

  test('a read that gets no answer is tried again, and succeeds when the network comes back', async () => {
    await api.get('/me')
    let drops = 2
    h.wxState.dropWhen = (o) => o.url.endsWith('/me/dividends') && drops-- > 0
    const r = await api.get('/me/dividends')
    expect(r.items.length).toBe(1)
    expect(h.wxState.requests.filter((x) => x.url.includes('/me/dividends')).length).toBe(3)
  })

  test('a read with no answer at all ends in a plain Chinese message, after a bounded number of tries', async () => {
    await api.get('/me')
    h.wxState.dropWhen = (o) => o.url.includes('/me/dividends')
    const err = await api.get('/me/dividends').catch((e) => e)
    expect(err.code).toBe('network.unavailable')
    expect(err.message).toBe(api.MESSAGES.network)
    expect(h.wxState.requests.filter((x) => x.url.includes('/me/dividends')).length).toBe(1 + require('../config').retryDelays.length)
  })

  test('a server briefly unavailable (503) is asked again; a query it stopped for taking too long is not', async () => {
    await api.get('/me')
    const tries = () => h.wxState.requests.filter((x) => x.url.includes('/me/dividends')).length
    let busy = 1
    h.wxState.answerWhen = (o) => (o.url.includes('/me/dividends') && busy-- > 0
      ? { statusCode: 503, data: { error: { code: 'server.unavailable', message: '服务暂时不可用，请稍后再试', details: {} } } }
      : null)
    expect((await api.get('/me/dividends')).items.length).toBe(1)
    expect(tries()).toBe(2)
    const message = '查询时间过长，已停止。请缩小范围（如选择较短的时间段）后重试'
    h.wxState.answerWhen = (o) => (o.url.includes('/me/dividends')
      ? { statusCode: 503, data: { error: { code: 'server.query_timeout', message, details: {} } } }
      : null)
    const err = await api.get('/me/dividends').catch((e) => e)
    expect([err.status, err.code, err.message]).toEqual([503, 'server.query_timeout', message])
    expect(tries()).toBe(3) // once, not again
  })

  test('a write with no answer is sent again with the same Idempotency-Key; a refused write is not retried', async () => {
    await api.get('/me')
    let drops = 1
    h.wxState.dropWhen = (o) => o.method === 'POST' && o.url.includes('/read') && drops-- > 0
    const notices = await api.get('/me/notices')
    const id = notices.items[0].id
    await api.post(`/notices/${id}/read`)
    const attempts = h.wxState.requests.filter((x) => x.url.endsWith(`/notices/${id}/read`))
    expect(attempts.length).toBe(2)
    expect(attempts[0].dropped).toBe(true)
    expect(attempts[0].header['Idempotency-Key']).toMatch(/^mp-/)
    expect(attempts[1].header['Idempotency-Key']).toBe(attempts[0].header['Idempotency-Key'])
    const sent = h.wxState.requests.filter((x) => x.url.endsWith(`/notices/${id}/read`) && !x.dropped)
    expect(sent[0].status).toBe(204)

    // 张大山 may not vote in the representatives' vote: 403 comes back once, with its reason, and is not repeated
    const before = h.wxState.requests.length
    const err = await api.post('/votes/1/ballots', { choice: 'agree' }).catch((e) => e)
    expect([403, 404]).toContain(err.status)
    expect(err.message).toMatch(CHINESE)
    expect(h.wxState.requests.length - before).toBe(1)
  })

  test('each write gets its own key: 128 bits from wx.getRandomValues, at most 80 characters', async () => {
    const a = await api.newKey()
    const b = await api.newKey()
    expect(a).not.toBe(b)
    expect(a).toMatch(/^mp-[0-9a-f]{32}$/)
    expect(a.length).toBeLessThanOrEqual(80) // the server takes at most 80 characters
  })

  test('without wx.getRandomValues (an old base library) keys are still unique', async () => {
    const saved = wx.getRandomValues
    delete wx.getRandomValues
    try {
      const keys = new Set(await Promise.all(Array.from({ length: 50 }, () => api.newKey())))
      expect(keys.size).toBe(50)
    } finally {
      wx.getRandomValues = saved
    }
  })
})

describe('kept answers (If-None-Match)', () => {
  test('a repeated read asks with the kept ETag; the 304 gives the kept body back, as a copy', async () => {
    const first = await api.get('/me/dividends')
    first.items.length = 0 // a page changing what it was given does not change what is kept
    const again = await api.get('/me/dividends')
    expect(again.items.length).toBeGreaterThan(0)
    const reads = h.wxState.requests.filter((r) => r.url.endsWith('/me/dividends'))
    expect(reads.map((r) => r.status)).toEqual([200, 304])
    expect(reads[1].header['If-None-Match']).toMatch(/^"[0-9a-f]{32}"$/)
    expect(reads[0].header['If-None-Match']).toBeUndefined()
  })

  test('another query is another answer; writes never carry If-None-Match', async () => {
    await api.get('/me/notices', { page: 1, page_size: 5 })
    await api.get('/me/notices', { page: 1, page_size: 6 })
    const reads = h.wxState.requests.filter((r) => r.url.includes('/me/notices'))
    expect(reads.map((r) => [r.status, r.header['If-None-Match'] === undefined])).toEqual([[200, true], [200, true]])
    const notices = await api.get('/me/notices', { page: 1, page_size: 5 })
    await api.post(`/notices/${notices.items[0].id}/read`, {})
    const post = h.wxState.requests.find((r) => r.method === 'POST' && r.url.endsWith('/read'))
    expect(post.header['If-None-Match']).toBeUndefined()
  })

  test('a failed read keeps nothing and forgets nothing', async () => {
    await api.get('/me')
    const kept = api.keptAnswer('/me')
    await api.get('/votes/987654').catch((e) => e)
    expect(api.keptAnswer('/votes/987654')).toBeNull()
    expect(api.keptAnswer('/me')).toEqual(kept)
  })
})
