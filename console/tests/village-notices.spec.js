// 王建国 (secretary of 临江村) writes a village notice in the console, publishes it to the whole village, sees its
// reach (应读/已读/未读 and the share, as the API counts them) change after 张大山 reads it on his phone, opens
// the list of who has not read it, and reminds them (once: a second reminder queues nobody).
import { test, expect } from '@playwright/test'
import { loginAs, consoleUrl, consoleToken, call, appToken, shot } from './harness.js'

test('王建国 publishes a village notice, watches its reach and reminds those who have not read it', async ({ page }) => {
  await loginAs(page, 'wangjianguo')
  await page.goto(consoleUrl('/village/notices'))
  await expect(page.locator('.page-title')).toContainText('村务公告')
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  const vid = me.village.id
  const title = `关于清理村道两侧杂物的通知 ${Date.now() % 100000}`

  // compose: a missing body is refused at the field, then published
  await page.locator('[data-test=compose]').click()
  const dialog = page.locator('.el-dialog').filter({ hasText: '写公告' })
  await dialog.locator('[data-test=notice-title]').fill(title)
  await dialog.locator('[data-test=publish]').click()
  await expect(dialog).toContainText('请填写正文')
  await dialog.locator('[data-test=notice-body]').fill('本周六上午8点，各户清理自家门前村道两侧的柴草和杂物，村委会统一清运。')
  await dialog.locator('[data-test=notice-pinned]').click()
  await shot(page, 'village-notice-compose', { fullPage: false })
  await dialog.locator('[data-test=publish]').click()
  await expect(dialog).toBeHidden()

  // the list: the notice with its reach as the API gives it
  const list = (await call('GET', `/villages/${vid}/notices`, { token })).body
  const n = list.items.find((x) => x.title === title)
  expect(n, 'the new notice is listed').toBeTruthy()
  expect(n.source).toBe('village')
  expect(n.reach.read).toBe(0)
  expect(n.reach.audience).toBeGreaterThan(50)
  await expect(page.locator(`[data-test=notice-title-${n.id}]`)).toHaveText(title)
  await expect(page.locator(`[data-test=audience-${n.id}]`)).toHaveText(String(n.reach.audience))
  await expect(page.locator(`[data-test=read-${n.id}]`)).toHaveText('0')
  await expect(page.locator(`[data-test=share-${n.id}]`)).toHaveText('0.0%')

  // 张大山 reads it on his phone; the reach follows
  const zhang = await appToken('zhangdashan')
  expect((await call('POST', `/notices/${n.id}/read`, { token: zhang })).status).toBe(204)
  await page.locator('[data-test=refresh]').click()
  await expect(page.locator(`[data-test=read-${n.id}]`)).toHaveText('1')
  await expect(page.locator(`[data-test=unread-count-${n.id}]`)).toHaveText(String(n.reach.audience - 1))
  const after = (await call('GET', `/villages/${vid}/notices`, { token })).body.items.find((x) => x.id === n.id)
  await expect(page.locator(`[data-test=share-${n.id}]`)).toHaveText(after.reach.share)
  await shot(page, 'village-notice-list')

  // who has not read it: names, 张大山 not among them
  await page.locator(`[data-test=unread-${n.id}]`).click()
  const unread = page.locator('.el-dialog').filter({ hasText: '还没读' })
  await expect(unread.locator('[data-test=unread-names]')).toContainText('孙有福')
  await expect(unread.locator('[data-test=unread-names]')).not.toContainText('张大山')
  await shot(page, 'village-notice-unread', { fullPage: false })
  await unread.locator('.el-dialog__headerbtn').click()
  await expect(unread).toBeHidden()

  // remind: those bound to the mini-program get one reminder; a second click reminds nobody
  await page.locator(`[data-test=remind-${n.id}]`).click()
  await expect(page.locator('.el-message--success').last()).toContainText(/已提醒 \d+ 人/)
  await page.locator(`[data-test=remind-${n.id}]`).click()
  await expect(page.locator('.el-message--success').last()).toContainText('都已经提醒过了')
  const again = await call('POST', `/notices/${n.id}/remind`, { token, body: { village_id: vid } })
  expect(again.body.count).toBe(0)

  // another village's secretary sees nothing of 临江村's list
  const zhou = await appToken('zhouhai')
  expect((await call('GET', `/villages/${vid}/notices`, { token: zhou })).status).toBe(404)
})
