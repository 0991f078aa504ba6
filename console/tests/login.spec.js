// The door: a plain member's scan is refused and the page keeps waiting; an expired ticket says so and offers a new
// one; logout goes back to the log-in page; a session ended elsewhere (its token revoked) goes back there with the
// server's Chinese message; an unknown page and another township's village each get a plain sentence.
import { test, expect } from '@playwright/test'
import { startServer, readQr, appToken, call, consoleUrl, loginAs, scanLogin, consoleToken, shot } from './harness.js'

test('a plain member cannot approve a log-in; the page keeps waiting and shows nothing wrong', async ({ page }) => {
  await page.goto(consoleUrl('/login'))
  const { code } = await readQr(page)
  await shot(page, 'login')
  const member = await appToken('heli') // 何丽, a villagers' representative: no staff role
  const r = await call('POST', `/auth/console-tickets/${encodeURIComponent(code)}/approve`, { token: member })
  expect(r.status).toBe(403)
  expect(r.body.error.code).toBe('auth.not_staff')
  expect(r.body.error.message).toMatch(/[\u4e00-\u9fa5]/)
  await page.waitForTimeout(4500) // two polls
  await expect(page).toHaveURL(/\/login/)
  await expect(page.locator('[data-test=qr]')).toBeVisible()
  expect(await page.locator('[data-test=qr]').getAttribute('data-qr')).toBe(`sunshine-console:${code}`)
  await expect(page.locator('[data-test=qr-expired], [data-test=qr-refused], [data-test=qr-failed]')).toHaveCount(0)
  // the same QR, approved by staff, still lets them in
  const staff = await appToken('wangjianguo')
  expect((await call('POST', `/auth/console-tickets/${encodeURIComponent(code)}/approve`, { token: staff })).status).toBe(204)
  await page.waitForURL((u) => !u.pathname.endsWith('/login'))
  await expect(page.locator('[data-test=who]')).toHaveText('王建国')
})

test('refused on the phone: the page says so', async ({ page }) => {
  await page.goto(consoleUrl('/login'))
  const { code } = await readQr(page)
  const staff = await appToken('zhengwen')
  expect((await call('POST', `/auth/console-tickets/${encodeURIComponent(code)}/refuse`, { token: staff })).status).toBe(204)
  await expect(page.locator('[data-test=qr-refused]')).toContainText('已在手机上取消')
  await shot(page, 'login-refused')
})

test.describe('an expired ticket', () => {
  let srv
  test.beforeAll(async () => {
    test.setTimeout(150_000)
    srv = await startServer({ CONSOLE_TICKET_SECONDS: '10' })
  })
  test.afterAll(async () => srv && srv.stop())

  test('shows 二维码已过期, refreshes once by itself, then waits for 刷新', async ({ page }) => {
    test.setTimeout(90_000)
    await page.goto(consoleUrl('/login', srv))
    const first = await readQr(page)
    await expect(page.locator('[data-test=qr-expired]')).toContainText('二维码已过期', { timeout: 30_000 })
    await shot(page, 'login-expired')
    // the phone that scans it now is told it is gone
    const staff = await appToken('zhengwen', srv)
    const late = await call('POST', `/auth/console-tickets/${encodeURIComponent(first.code)}/approve`, { token: staff, srv })
    expect(late.status).toBe(410)
    // a new QR by itself, once
    const second = await readQr(page)
    expect(second.code).not.toBe(first.code)
    await expect(page.locator('[data-test=qr-expired]')).toBeVisible({ timeout: 30_000 })
    await page.waitForTimeout(3000)
    await expect(page.locator('[data-test=qr-expired]')).toBeVisible() // no second refresh by itself
    await page.locator('[data-test=qr-refresh]').click()
    const third = await readQr(page)
    expect(third.code).not.toBe(second.code)
    // and the fresh one works
    expect((await call('POST', `/auth/console-tickets/${encodeURIComponent(third.code)}/approve`, { token: staff, srv })).status).toBe(204)
    await page.waitForURL((u) => !u.pathname.endsWith('/login'))
    await expect(page.locator('[data-test=who]')).toHaveText('郑雯')
  })
})

test('logout goes back to the log-in page and ends the token', async ({ page }) => {
  await loginAs(page, 'zhengwen')
  await shot(page, 'home-zhengwen')
  const token = await consoleToken(page)
  expect((await call('GET', '/me', { token })).status).toBe(200)
  await page.locator('[data-test=logout]').click()
  await expect(page).toHaveURL(/\/console\/login/)
  await expect(page.locator('[data-test=qr]')).toBeVisible()
  expect((await call('GET', '/me', { token })).status).toBe(401)
  // the console's pages now ask to log in
  await page.goto(consoleUrl('/township/progress'))
  await expect(page).toHaveURL(/\/console\/login\?redirect=/)
})

test('a session ended elsewhere goes back to the log-in page with the server\'s message', async ({ page }) => {
  const phone = await scanLogin(page, 'zhengwen', { to: '/township/progress' })
  expect(phone).toBeTruthy()
  await expect(page.locator('[data-test=progress-table]')).toBeVisible()
  const token = await consoleToken(page)
  expect((await call('POST', '/auth/logout', { token })).status).toBe(204)
  const refused = await call('GET', '/me', { token })
  expect(refused.status).toBe(401)
  await page.locator('[data-test="menu-/township/notices"]').click()
  await expect(page).toHaveURL(/\/console\/login/)
  await expect(page.locator('[data-test=login-notice]')).toHaveText(refused.body.error.message)
  await shot(page, 'login-after-401')
})

test('an unknown page, and another township\'s village, each get a plain sentence', async ({ page }) => {
  await loginAs(page, 'yangfan') // township staff of 白石镇
  await page.goto(consoleUrl('/no-such-page'))
  await expect(page.locator('[data-test=not-found]')).toContainText('找不到该页面')
  await shot(page, 'not-found')
  // 青山镇's 临江村, asked for by 白石镇's staff
  const token = await consoleToken(page)
  const zw = await appToken('zhengwen')
  const qs = (await call('GET', '/me', { token: zw })).body.township.id
  const villages = (await call('GET', `/townships/${qs}/villages`, { token: zw })).body
  const linjiang = (Array.isArray(villages) ? villages : villages.items).find((v) => v.name === '临江村')
  expect((await call('GET', `/villages/${linjiang.id}`, { token })).status).toBe(404)
  await page.goto(consoleUrl(`/township/villages/${linjiang.id}`))
  await expect(page.locator('[data-test=page-error]')).toContainText('找不到该内容，可能已被删除或不属于您管理的村')
  await expect(page.locator('body')).not.toContainText('临江村')
  await shot(page, 'other-township-village')
  // and 白石镇's 进度表 holds none of 青山镇's villages
  await page.goto(consoleUrl('/township/progress'))
  await expect(page.locator('.page-title')).toContainText('进度表')
  await expect(page.locator('body')).not.toContainText('临江村')
  await shot(page, 'other-township-progress')
})
