// 扫码登录管理端 against the real backend: the console (played here by plain HTTP calls) asks for a ticket with
// POST /auth/console-tickets and shows "sunshine-console:<code>" as a QR code; a staff member scans it on the home
// page, reads on the confirm page which console asks (browser, address, time), and approves or refuses; the console's
// poll GET /auth/console-tickets/{ticket} then says approved (with its token) or refused.
// - 王建国 (secretary of 临江村) and 郑雯 (township staff, no village) see the entry; 张大山 (a plain member) does not.
// - a QR code that is not a console's gets a plain sentence; closing the camera says nothing.
// - a ticket already used shows 二维码已过期…; a plain member reaching the page by a link gets the server's refusal,
//   and the ticket stays waiting; no network shows the api module's sentence with 再试一次.
const h = require('./harness')
const api = require('../utils/api')
const { consoleCode, NOT_OURS } = require('../utils/console-login')

const phone = (person) => h.signedIn(person)
const tokenOf = (person) => h.tokenOf(person)

const GONE = '二维码已过期，请在电脑上刷新后重新扫码'
const APPROVED = '管理端已登录，可以回到电脑前'

// the console's side: a new ticket, asked for over HTTP as the browser would
async function newTicket(browser = 'Chrome 131 · Windows 10（村部电脑）') {
  const r = await h.call('POST', '/auth/console-tickets', { body: { browser } })
  expect(r.statusCode).toBe(201)
  expect(r.data.qr.startsWith('sunshine-console:')).toBe(true)
  expect(r.data.poll_interval_seconds).toBe(2)
  const code = consoleCode(r.data.qr)
  expect(code).toBeTruthy()
  expect(code).not.toBe(r.data.ticket) // the QR does not carry the console's secret
  return { ...r.data, code, browser }
}

const poll = async (ticket) => h.call('GET', `/auth/console-tickets/${ticket}`)

// "2026年12月6日 01:05" for an ISO moment, in Beijing time, computed apart from utils/format.js
function beijing(iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]))
  return `${parts.year}年${Number(parts.month)}月${Number(parts.day)}日 ${parts.hour}:${parts.minute}`
}

const writes = (suffix) => h.wxState.requests.filter((r) => r.method === 'POST' && r.url.endsWith(suffix))

describe('the 扫码登录管理端 entry on the home page', () => {
  test.each([['wangjianguo', '王建国'], ['zhengwen', '郑雯']])('staff (%s) see it', async (person, name) => {
    await phone(person)
    const home = await h.openPage('home')
    expect(home.data.error).toBe('')
    expect(h.text(home, '.greeting')).toContain(name)
    expect(home.data.isStaff).toBe(true)
    expect(h.text(home, '.scan-console')).toContain('扫码登录管理端')
  })

  test('a plain member (张大山) does not', async () => {
    await phone('zhangdashan')
    const home = await h.openPage('home')
    expect(home.data.error).toBe('')
    expect(h.text(home, '.greeting')).toContain('张大山')
    expect(home.data.isStaff).toBe(false)
    expect(h.has(home, '.scan-console')).toBe(false)
    expect(home.dom.textContent).not.toContain('管理端')
  })

  test('it opens the camera only (no album) for QR codes; a foreign code gets a plain sentence and goes nowhere', async () => {
    await phone('wangjianguo')
    const home = await h.openPage('home')
    for (const seen of ['https://weixin.qq.com/r/abcdef', 'sunshine-console:', 'sunshine-console:a b', '6901234567892']) {
      h.wxState.toasts = []
      h.wxState.scanResult = seen
      await h.tap(home, '.scan-console')
      await h.until(() => h.wxState.toasts.length === 1)
      expect(h.wxState.toasts[0]).toMatchObject({ title: NOT_OURS, icon: 'none' })
    }
    expect(NOT_OURS).toBe('这不是阳光村务管理端的二维码')
    expect(h.wxState.scans).toHaveLength(4)
    for (const s of h.wxState.scans) expect(s).toEqual({ onlyFromCamera: true, scanType: ['qrCode'] })
    expect(h.wxState.navigations).toEqual([])

    // closing the camera: nothing said, nothing opened
    h.wxState.toasts = []
    h.wxState.scanResult = null
    await h.tap(home, '.scan-console')
    await h.settle()
    expect(h.wxState.scans).toHaveLength(5)
    expect(h.wxState.toasts).toEqual([])
    expect(h.wxState.navigations).toEqual([])
  })
})

describe('the confirm page', () => {
  test('王建国 scans a real console: browser, address and time in words; 确认登录 logs the console in', async () => {
    const t = await newTicket()
    expect((await poll(t.ticket)).data.status).toBe('waiting')

    await phone('wangjianguo')
    const home = await h.openPage('home')
    h.wxState.scanResult = t.qr
    await h.tap(home, '.scan-console')
    await h.until(() => h.wxState.navigations.length === 1)
    expect(h.wxState.navigations[0]).toEqual({ kind: 'navigateTo', url: `/pages/console-login/confirm?code=${encodeURIComponent(t.code)}` })
    const { name, page } = await h.follow()
    expect(name).toBe('console-login/confirm')
    expect(page.data.error).toBe('')
    expect(page.data.problem).toBe('')

    // what the server recorded, as the page shows it
    const asked = (await h.call('GET', `/auth/console-tickets/${t.code}/request`, { token: await tokenOf('wangjianguo') })).data
    expect(asked.status).toBe('waiting')
    expect(asked.browser).toBe(t.browser)
    expect(asked.address).toBe('127.0.0.1')
    expect(Math.abs(Date.parse(asked.created_at) - Date.now())).toBeLessThan(60000)
    expect(h.text(page, '.ask-browser')).toBe(t.browser)
    expect(h.text(page, '.ask-address')).toBe('127.0.0.1')
    expect(h.text(page, '.ask-time')).toBe(beijing(asked.created_at))
    expect(h.text(page, '.caution-text')).toContain('只有您本人在电脑前时才确认')
    expect(h.text(page, '.approve')).toBe('确认登录')
    expect(h.text(page, '.refuse')).toBe('取消')
    expect(page.dom.textContent).not.toMatch(/undefined|null|NaN|waiting|\[object/)
    expect((await poll(t.ticket)).data.status).toBe('waiting') // looking at it approves nothing

    await h.tap(page, '.approve')
    await h.until(() => page.data.done !== '')
    expect(h.text(page, '.done-text')).toBe(APPROVED)
    const approvals = writes(`/auth/console-tickets/${t.code}/approve`)
    expect(approvals.map((r) => r.status)).toEqual([204])
    expect(approvals[0].header['Idempotency-Key']).toMatch(/^mp-[0-9a-f]{32}$/)
    expect(approvals[0].header.Authorization).toBe(`Bearer ${await tokenOf('wangjianguo')}`)

    // the console's next poll: approved, with its own token for 王建国 — once
    const first = await poll(t.ticket)
    expect(first.statusCode).toBe(200)
    expect(first.data.status).toBe('approved')
    expect(typeof first.data.token).toBe('string')
    expect(first.data.token).not.toBe(await tokenOf('wangjianguo'))
    expect(first.data.user.name).toBe('王建国')
    expect(first.data.user.roles).toContain('secretary')
    const me = await h.call('GET', '/me', { token: first.data.token })
    expect(me.statusCode).toBe(200)
    expect(me.data.name).toBe('王建国')
    const again = await poll(t.ticket)
    expect(again.data.status).toBe('used')
    expect(again.data.token).toBeUndefined()

    // and the phone goes back by itself (or at once with 返回)
    await h.until(() => h.wxState.navigations.some((n) => n.kind === 'navigateBack'), { timeout: 6000 })
  })

  test('郑雯 taps 取消: the console is refused, the phone goes back', async () => {
    const t = await newTicket('Firefox 133 · Ubuntu')
    await phone('zhengwen')
    const page = await h.openPage('console-login/confirm', { code: t.code })
    expect(page.data.error).toBe('')
    expect(h.text(page, '.ask-browser')).toBe('Firefox 133 · Ubuntu')
    await h.tap(page, '.refuse')
    await h.until(() => h.wxState.navigations.some((n) => n.kind === 'navigateBack'))
    expect(writes(`/auth/console-tickets/${t.code}/refuse`).map((r) => r.status)).toEqual([204])
    expect(writes('/approve')).toEqual([])
    const p = await poll(t.ticket)
    expect(p.data.status).toBe('refused')
    expect(p.data.token).toBeUndefined()
    // the refused code cannot be approved afterwards
    const late = await h.call('POST', `/auth/console-tickets/${t.code}/approve`, { token: await tokenOf('zhengwen') })
    expect(late.statusCode).toBe(410)
    expect(late.data.error.code).toBe('auth.ticket_gone')
  })

  test('a code already used: on opening, and when it is used behind the page’s back, 二维码已过期…', async () => {
    const wang = await tokenOf('wangjianguo')
    // used before the page opens
    const t1 = await newTicket()
    expect((await h.call('POST', `/auth/console-tickets/${t1.code}/approve`, { token: wang })).statusCode).toBe(204)
    await poll(t1.ticket) // the console takes its token: the ticket is used
    await phone('wangjianguo')
    const opened = await h.openPage('console-login/confirm', { code: t1.code })
    expect(opened.data.error).toBe('')
    expect(h.text(opened, '.problem-text')).toBe(GONE)
    expect(h.has(opened, '.approve')).toBe(false)
    await h.tap(opened, '.go-back')
    expect(h.wxState.navigations.map((n) => n.kind)).toEqual(['navigateBack'])

    // approved elsewhere while the page was open: the page's approval is the second one, and is refused (410)
    const t2 = await newTicket()
    await phone('wangjianguo')
    const page = await h.openPage('console-login/confirm', { code: t2.code })
    expect(h.text(page, '.ask-browser')).toBe(t2.browser)
    expect((await h.call('POST', `/auth/console-tickets/${t2.code}/approve`, { token: wang })).statusCode).toBe(204)
    const before = h.wxState.requests.length
    await h.tap(page, '.approve')
    await h.until(() => page.data.problem !== '')
    const tried = h.wxState.requests.slice(before).filter((r) => r.url.endsWith(`/auth/console-tickets/${t2.code}/approve`))
    expect(tried.map((r) => r.status)).toEqual([410])
    expect(h.text(page, '.problem-text')).toBe(GONE)
    expect(page.data.done).toBe('')
    expect(h.has(page, '.approve')).toBe(false)
    expect(h.wxState.modals).toEqual([])
  })

  test('opened again after deciding: an approval not yet taken says so; a refused code says to scan again', async () => {
    const zheng = await tokenOf('zhengwen')
    const approved = await newTicket()
    expect((await h.call('POST', `/auth/console-tickets/${approved.code}/approve`, { token: zheng })).statusCode).toBe(204)
    await phone('zhengwen')
    const a = await h.openPage('console-login/confirm', { code: approved.code })
    expect(a.data.error).toBe('')
    expect(h.text(a, '.done-text')).toBe('这次登录已经确认过了，可以回到电脑前')
    expect(h.has(a, '.approve')).toBe(false)

    const refused = await newTicket()
    expect((await h.call('POST', `/auth/console-tickets/${refused.code}/refuse`, { token: zheng })).statusCode).toBe(204)
    const r = await h.openPage('console-login/confirm', { code: refused.code })
    expect(h.text(r, '.problem-text')).toBe(GONE)
    expect(h.has(r, '.approve')).toBe(false)
    expect(h.wxState.requests.filter((x) => x.method === 'POST' && x.url.includes(refused.code))).toHaveLength(1) // ours
    expect((await poll(refused.ticket)).data.status).toBe('refused')
  })

  test('a plain member reaching the page by a link gets the server’s refusal; the console stays waiting', async () => {
    const t = await newTicket()
    const direct = await h.call('POST', `/auth/console-tickets/${t.code}/approve`, { token: await tokenOf('zhangdashan') })
    expect(direct.statusCode).toBe(403)
    expect(direct.data.error.code).toBe('auth.not_staff')
    const sentence = direct.data.error.message
    expect(sentence).toMatch(/[\u4e00-\u9fff]/)

    await phone('zhangdashan')
    const page = await h.openPage('console-login/confirm', { code: t.code })
    expect(page.data.error).toBe('')
    if (h.has(page, '.approve')) await h.tap(page, '.approve') // the server may say so on reading, or on approving
    await h.until(() => page.data.problem !== '')
    expect(h.text(page, '.problem-text')).toBe(sentence)
    expect(page.data.done).toBe('')
    expect((await poll(t.ticket)).data.status).toBe('waiting')
  })

  test('an unknown code gets the server’s sentence; a page opened without one says to scan again', async () => {
    await phone('wangjianguo')
    const unknown = await h.openPage('console-login/confirm', { code: 'no-such-code-0000' })
    const r = await h.call('GET', '/auth/console-tickets/no-such-code-0000/request', { token: await tokenOf('wangjianguo') })
    expect(r.statusCode).toBe(404)
    expect(h.text(unknown, '.problem-text')).toBe(r.data.error.message)
    const none = await h.openPage('console-login/confirm', {})
    expect(h.text(none, '.problem-text')).toContain('重新扫码')
    expect(h.wxState.requests.filter((x) => x.url.includes('console-tickets//'))).toEqual([])
  })

  test('no network: the api module’s sentence with 再试一次, then the page and the approval go through', async () => {
    const t = await newTicket()
    await phone('zhengwen')
    h.wxState.dropWhen = () => true
    const page = await h.openPage('console-login/confirm', { code: t.code })
    expect(page.data.error).toBe(api.MESSAGES.network)
    expect(h.text(page, '.state-text')).toBe(api.MESSAGES.network)

    h.wxState.dropWhen = null
    const retry = page.querySelector('#state').querySelector('.state-retry')
    expect(retry).toBeTruthy()
    retry.dispatchEvent('tap')
    await h.until(() => !page.data.loading && !!page.data.ask)
    expect(page.data.error).toBe('')
    expect(h.text(page, '.ask-browser')).toBe(t.browser)

    // the approval's answer never comes (every try): the sentence, the console still waits, a second tap works
    h.wxState.dropWhen = (o) => o.method === 'POST'
    await h.tap(page, '.approve')
    await h.until(() => page.data.actionError !== '')
    expect(page.data.actionError).toBe(api.MESSAGES.network)
    expect(h.text(page, '.action-error')).toBe(api.MESSAGES.network)
    expect(h.wxState.modals.map((m) => m.content)).toEqual([api.MESSAGES.network])
    expect((await poll(t.ticket)).data.status).toBe('waiting')
    h.wxState.dropWhen = null
    await h.tap(page, '.approve')
    await h.until(() => page.data.done !== '')
    const keys = h.wxState.requests.filter((r) => r.url.endsWith('/approve')).map((r) => r.header['Idempotency-Key'])
    expect(new Set(keys).size).toBe(1) // one approval, one key, however many tries
    const p = await poll(t.ticket)
    expect(p.data.status).toBe('approved')
    expect(p.data.user.name).toBe('郑雯')
    page.instance.onUnload() // leaves before going back by itself: no late navigation
  })
})
