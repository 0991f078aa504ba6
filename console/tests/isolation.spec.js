// 杨帆, township staff of 白石镇, sees nothing of 青山镇: none of its villages on any screen of the console, and a
// direct link to one of its disclosures (or villages) shows the plain "not found" sentence, as the API answers 404.
import { test, expect } from '@playwright/test'
import { loginAs, consoleUrl, consoleToken, call, appToken, shot } from './harness.js'

const QINGSHAN = ['青山镇', '临江村', '新竹村', '土桥村']
const NOT_FOUND = '找不到该内容，可能已被删除或不属于您管理的村'

async function seesNoneOfQingshan(page) {
  const text = await page.locator('body').innerText()
  for (const name of QINGSHAN) expect(text, `${page.url()} shows ${name}`).not.toContain(name)
}

test('staff of 白石镇 see none of 青山镇’s villages, and a direct link to its disclosure is not found', async ({ page }) => {
  // what belongs to 青山镇 (read as its own staff)
  const zheng = await appToken('zhengwen')
  const lj = (await call('GET', '/villages', { token: zheng })).body.find((v) => v.name === '临江村')
  const disclosure = (await call('GET', `/villages/${lj.id}/disclosures`, { token: zheng })).body.items[0]
  expect(disclosure).toBeTruthy()

  await loginAs(page, 'yangfan')
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  expect(me.township.name).toBe('白石镇')
  await expect(page.locator('.shell-header')).toContainText('白石镇')

  // every screen of the township's menu shows 白石镇's village, none of 青山镇's
  await page.goto(consoleUrl('/township/progress'))
  await expect(page.locator('.shell-main')).toContainText('白石村')
  await seesNoneOfQingshan(page)
  await shot(page, 'isolation-progress')

  await page.goto(consoleUrl('/admin/villages'))
  await expect(page.locator('[data-test=villages-table]')).toContainText('白石村')
  await seesNoneOfQingshan(page)
  await shot(page, 'isolation-villages')

  for (const path of ['/township/warnings', '/township/notices', '/supervision/audit', '/']) {
    await page.goto(consoleUrl(path))
    await expect(page.locator('.shell-main')).not.toBeEmpty()
    await page.waitForLoadState('networkidle')
    await expect(page.locator('.shell-main .el-loading-mask')).toHaveCount(0)
    await seesNoneOfQingshan(page)
  }

  // a direct link to 青山镇's disclosure: the plain sentence, and the API's 404
  expect((await call('GET', `/disclosures/${disclosure.id}`, { token })).status).toBe(404)
  expect((await call('GET', `/disclosures/${disclosure.id}/review`, { token })).status).toBe(404)
  await page.goto(consoleUrl(`/disclosures/${disclosure.id}`))
  await expect(page.locator('[data-test=page-error]')).toContainText(NOT_FOUND)
  await expect(page.locator('body')).not.toContainText(disclosure.title)
  await seesNoneOfQingshan(page)
  await shot(page, 'isolation-disclosure-404')

  // and to one of its villages
  expect((await call('GET', `/townships/${me.township.id}/villages/overview`, { token })).body.items.map((v) => v.name)).toEqual(['白石村'])
  await page.goto(consoleUrl(`/township/villages/${lj.id}`))
  await expect(page.locator('.shell-main')).toContainText(/找不到/)
  await seesNoneOfQingshan(page)
})
