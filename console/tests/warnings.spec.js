// 预警 in the console. 郑雯 (township staff of 青山镇) opens 待办/预警: every open warning of the demo is there, grouped
// under its Chinese label, each a link to the thing itself (the fund, the project, the land contract …); she filters
// by village. Then the township allows 90 days for the quarter's 财务公开 (a setting, through the API): the two
// villages' 财务公开逾期 close themselves — gone from 未消除, listed under 已消除 with when each opened and closed (the
// setting is put back afterwards: they open again as new warnings). 王建国 (secretary of 临江村) opens 本村预警 and sees
// only his village's; a villager, and a village's secretary asking for the township's list, are refused.
import { test, expect } from '@playwright/test'
import { appToken, call, consoleToken, consoleUrl, loginAs, shot } from './harness.js'

const list = (body) => (Array.isArray(body) ? body : body.items)

// where the township's list sends each link type (the screens of 三资, 合同, 项目 and 账簿)
function expectedHref(w) {
  const l = w.link
  const to = {
    fund: '/assets/funds',
    asset: `/assets/items/${l.id}`,
    contract: `/assets/contracts/${l.id}`,
    land_contract: `/land/contracts/${l.id}`,
    project: `/projects/${l.id}`,
    disclosure: `/disclosures/${l.id}`,
  }[l.type]
  if (to) return to
  if (l.type === 'voucher') return '/books/vouchers?period='
  return `/township/villages/${l.village_id}`
}

test('township staff see every warning under its label with a link, filter them, and see one close itself', async ({ page }) => {
  test.setTimeout(90_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'zhengwen')
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  const tid = me.township.id
  const r = await call('GET', `/townships/${tid}/warnings`, { token })
  expect(r.status).toBe(200)
  const items = list(r.body)
  // the demo's warnings that are really due: 临江村's cash over its limit, its project behind plan, a rent overdue,
  // and the quarter's 财务公开 not published by 新竹村 and 土桥村
  const kinds = new Set(items.map((w) => w.kind))
  for (const k of ['cash_over_limit', 'disclosure_overdue']) expect(kinds, k).toContain(k)
  expect(items.every((w) => w.label && w.warning_id && w.opened_at && w.closed_at === null)).toBe(true)

  await page.goto(consoleUrl('/township/warnings'))
  for (const w of items) {
    const group = page.locator(`[data-test=warning-group-${w.kind}]`)
    await expect(group).toContainText(w.label)
    const row = page.locator(`[data-test="warning-${w.id}"]`)
    await expect(row).toContainText(w.message)
    await expect(row).toContainText(w.village.name)
    expect(await row.locator('a').getAttribute('href')).toContain(expectedHref(w))
  }
  await expect(page.locator('[data-test=warning-group-cash_over_limit]')).toContainText('库存现金超限额')
  await shot(page, 'warnings-township')

  // the cash warning opens the village's funds
  const cash = items.find((w) => w.kind === 'cash_over_limit')
  await page.locator(`[data-test="warning-${cash.id}"] a`).click()
  await expect(page).toHaveURL(/\/assets\/funds/)
  await page.goBack()

  // filtered by village: 新竹村's only
  const xinzhu = items.find((w) => w.village.name === '新竹村')
  await page.locator('[data-test=filter-village]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '新竹村' }).click()
  await expect(page.locator(`[data-test="warning-${xinzhu.id}"]`)).toBeVisible()
  await expect(page.locator('.warning', { hasText: '临江村' })).toHaveCount(0)
  await shot(page, 'warnings-township-filtered')

  // the township allows 90 days after the quarter: the two 财务公开逾期 close themselves
  const overdue = items.filter((w) => w.kind === 'disclosure_overdue')
  const put = (days) => call('PUT', `/townships/${tid}/settings/township.disclosure_due_days`, { token, body: { value: days } })
  expect((await put(90)).status).toBe(200)
  try {
    await page.goto(consoleUrl('/township/warnings'))
    await expect(page.locator(`[data-test="warning-${cash.id}"]`)).toBeVisible()
    await expect(page.locator('[data-test=warning-group-disclosure_overdue]')).toHaveCount(0)
    await page.locator('.el-tabs__item', { hasText: '已消除' }).click()
    const history = page.locator('[data-test=warning-history]')
    for (const w of overdue) {
      const row = history.locator('.el-table__row', { has: page.locator(`[data-test=closed-${w.warning_id}]`) })
      await expect(row).toContainText('财务公开逾期')
      await expect(row).toContainText(w.village.name)
      await expect(row).not.toContainText('未消除')
    }
    await shot(page, 'warnings-township-closed')
    const closed = list((await call('GET', `/townships/${tid}/warnings?state=closed`, { token })).body)
    for (const w of overdue) {
      const c = closed.find((x) => x.warning_id === w.warning_id)
      expect(c.state).toBe('closed')
      expect(c.closed_at >= c.opened_at).toBe(true)
    }
  } finally {
    expect((await put(10)).status).toBe(200)
  }
  // back to 10 days: the cause is back, and a new warning opens for it (the closed one stays in the history)
  const again = list((await call('GET', `/townships/${tid}/warnings`, { token })).body).filter((w) => w.kind === 'disclosure_overdue')
  expect(again.map((w) => w.id).sort()).toEqual(overdue.map((w) => w.id).sort())
  expect(again.some((w) => overdue.some((o) => o.warning_id === w.warning_id))).toBe(false)
})

test('a village secretary sees only his village warnings; others are refused', async ({ page }) => {
  test.setTimeout(60_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'wangjianguo')
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  const vid = me.village.id
  const r = await call('GET', `/villages/${vid}/warnings`, { token })
  expect(r.status).toBe(200)
  const mine = list(r.body)
  expect(mine.length).toBeGreaterThan(0)
  expect(new Set(mine.map((w) => w.village.name))).toEqual(new Set(['临江村']))

  await page.goto(consoleUrl('/village/warnings'))
  await expect(page.locator('.page-title')).toHaveText('本村预警')
  for (const w of mine) {
    await expect(page.locator(`[data-test=warning-group-${w.kind}]`)).toContainText(w.label)
    await expect(page.locator(`[data-test="warning-${w.id}"]`)).toContainText(w.message)
  }
  await expect(page.locator('.el-main')).not.toContainText('新竹村')
  await shot(page, 'warnings-village')
  await page.locator('.el-tabs__item', { hasText: '已消除' }).click()
  await expect(page.locator('[data-test=warning-history]').or(page.locator('[data-test=page-empty]'))).toBeVisible()
  await shot(page, 'warnings-village-history')

  // refusals: the township's list is not the secretary's; a villager reads no warnings; another village's staff
  const tid = (await call('GET', `/villages/${vid}`, { token })).body.township.id
  expect((await call('GET', `/townships/${tid}/warnings`, { token })).status).toBe(404)
  const villager = await appToken('zhangdashan')
  expect((await call('GET', `/villages/${vid}/warnings`, { token: villager })).status).toBe(403)
  const zhouhai = await appToken('zhouhai')
  expect([403, 404]).toContain((await call('GET', `/villages/${vid}/warnings`, { token: zhouhai })).status)
})
