// 郑雯 (township staff of 青山镇) does a month's work: logs in by scanning, reads the 进度表 (the figures on the
// screen are the API's), opens a village's months, downloads the 按月通报 as .xlsx (its figures equal the API's)
// and as PDF, sends an announcement to two villages and sees its reach change after 张大山 reads it on his phone.
import { readFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { scanLogin, consoleToken, call, appToken, shot, readXlsx, money } from './harness.js'

test('郑雯 reads the 进度表, downloads the monthly report and sends an announcement whose reach changes', async ({ page }) => {
  await scanLogin(page, 'zhengwen', { to: '/township/progress' })
  await expect(page).toHaveURL(/\/console\/township\/progress$/)
  await expect(page.locator('[data-test=who]')).toHaveText('郑雯')
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  const tid = me.township.id

  // 进度表: the table and the chart, each village's figures as the API gives them
  const progress = (await call('GET', `/townships/${tid}/progress`, { token })).body
  expect(progress.villages.length).toBeGreaterThan(1)
  await expect(page.locator('[data-test=progress-chart][data-drawn="1"]')).toBeVisible()
  await expect(page.locator('[data-test=sum-total]')).toHaveText(/\d/)
  expect(money(await page.locator('[data-test=sum-total]').textContent())).toBe(money(progress.summary.total_income))
  for (const v of progress.villages) {
    const id = v.village_id
    expect(money(await page.locator(`[data-test=total-${id}]`).textContent())).toBe(money(v.total_income))
    expect(money(await page.locator(`[data-test=operating-${id}]`).textContent())).toBe(money(v.operating_income))
    await expect(page.locator(`[data-test=score-${id}]`)).toHaveText(String(v.score))
    await expect(page.locator(`[data-test=published-${id}]`)).toHaveText(v.disclosure_published ? '已公开' : '未公开')
    await expect(page.locator(`[data-test=total-met-${id}]`)).toHaveText(v.total_met ? '达标' : '未达标')
  }
  for (const line of progress.summary.lines) await expect(page.locator('[data-test=summary-lines]')).toContainText(line.label)
  await shot(page, 'township-progress')

  // a village's month-by-month series, in a drawer
  const first = progress.villages[0]
  await page.locator(`[data-test=village-${first.village_id}]`).click()
  const drawer = page.locator('.el-drawer').filter({ hasText: '逐月收入' })
  await expect(drawer).toBeVisible()
  await expect(drawer.locator('[data-test=months-chart][data-drawn="1"]')).toBeVisible()
  const months = (await call('GET', `/townships/${tid}/progress/${first.village_id}/months`, { token, })).body
  await expect(drawer.locator('[data-test=months-table] .el-table__body tr')).toHaveCount(12)
  const last = months.months[progress.month - 1]
  await expect(drawer.locator('[data-test=months-table] .el-table__body tr').nth(progress.month - 1)).toContainText(
    last.cumulative_total.replace(/\B(?=(\d{3})+(?!\d))/g, ','),
  )
  await shot(page, 'township-progress-months', { fullPage: false })
  await drawer.locator('.el-drawer__close-btn').click()
  await expect(drawer).toBeHidden()

  // the monthly report as .xlsx: a click, a file, the API's figures in it
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=download-xlsx]').click()])
  expect(xlsx.suggestedFilename()).toMatch(/\.xlsx$/)
  const xlsxFile = path.join(mkdtempSync(path.join(tmpdir(), 'console-report-')), xlsx.suggestedFilename())
  await xlsx.saveAs(xlsxFile)
  const rows = readXlsx(xlsxFile)
  for (const v of progress.villages) {
    const row = rows.find((r) => r[1] === v.village_name)
    expect(row, `${v.village_name} in the workbook`).toBeTruthy()
    expect(Number(row[0])).toBe(v.rank)
    expect(money(row[2])).toBe(money(v.total_income))
    expect(money(row[4])).toBe(money(v.operating_income))
    expect(Number(row[6])).toBe(v.score)
  }
  // and as PDF
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=download-pdf]').click()])
  const bytes = readFileSync(await pdf.path())
  expect(bytes.length).toBeGreaterThan(1000)
  expect(bytes.subarray(0, 4).toString()).toBe('%PDF')

  // 通知: an announcement to two villages (张大山's 临江村 and one more)
  await page.locator('[data-test="menu-/township/notices"]').click()
  await expect(page).toHaveURL(/\/township\/notices$/)
  await shot(page, 'township-notices')
  const villages = (await call('GET', `/townships/${tid}/villages`, { token })).body
  const list = Array.isArray(villages) ? villages : villages.items
  const linjiang = list.find((v) => v.name === '临江村')
  const other = list.find((v) => v.name === '新竹村') || list.find((v) => v.name !== '临江村')
  await page.locator('[data-test=compose]').click()
  const dialog = page.locator('.el-dialog').filter({ hasText: '写通知' })
  await expect(dialog).toBeVisible()
  const title = `关于冬季用电安全的通知 ${Date.now() % 100000}`
  await dialog.locator('[data-test=notice-title]').fill(title)
  await dialog.locator('[data-test=notice-body]').fill('各村：入冬后请检查线路，不私拉乱接电线，取暖设备离人断电。')
  await dialog.locator('[data-test=notice-villages]').click()
  for (const v of [linjiang, other]) {
    await page.locator('.el-select-dropdown__item:visible', { hasText: v.name }).click()
  }
  await dialog.locator('.el-dialog__title').click() // close the dropdown
  await shot(page, 'township-notice-compose', { fullPage: false })
  const [published] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(`/townships/${tid}/notices`) && r.request().method() === 'POST'),
    dialog.locator('[data-test=publish]').click(),
  ])
  expect(published.status()).toBe(201)
  const notice = await published.json()
  expect([...notice.villages].sort()).toEqual([linjiang.id, other.id].sort())

  // its reach: opened by itself after publishing, one row per village
  const reach = page.locator('.el-drawer').filter({ hasText: '触达情况' })
  await expect(reach.locator('[data-test=reach-table]')).toBeVisible()
  await expect(reach.locator('[data-test=reach-table] .el-table__body tr')).toHaveCount(2)
  const before = Number(await reach.locator(`[data-test=reach-read-${linjiang.id}]`).textContent())
  const api0 = (await call('GET', `/notices/${notice.id}/reach`, { token })).body.villages.find((r) => r.village_id === linjiang.id)
  expect(before).toBe(api0.read)
  await expect(reach.locator(`[data-test=reach-audience-${linjiang.id}]`)).toHaveText(String(api0.audience))
  await shot(page, 'township-notice-reach', { fullPage: false })

  // 张大山 reads it in the mini-program
  const dashan = await appToken('zhangdashan')
  expect((await call('POST', `/notices/${notice.id}/read`, { token: dashan })).status).toBe(204)

  await page.reload()
  await page.locator(`[data-test=reach-${notice.id}]`).click()
  await expect(reach.locator(`[data-test=reach-read-${linjiang.id}]`)).toHaveText(String(before + 1))
  await expect(reach.locator(`[data-test=reach-app-${linjiang.id}]`)).toHaveText(String(api0.read_in_app + 1))

  // who has not read it, and a reminder to them only
  await reach.locator(`[data-test=unread-${linjiang.id}]`).click()
  const unread = page.locator('.el-dialog').filter({ hasText: '还没读的人' })
  await expect(unread).toBeVisible()
  await expect(unread).not.toContainText('张大山')
  await shot(page, 'township-notice-unread', { fullPage: false })
  await unread.locator('.el-dialog__headerbtn').click()
  await reach.locator(`[data-test=remind-${linjiang.id}]`).click()
  await expect(page.locator('.el-message')).toContainText(/已提醒|提醒过/)

  // withdraw: gone from the list
  await reach.locator('.el-drawer__close-btn').click()
  await page.locator(`[data-test=withdraw-${notice.id}]`).click()
  await page.locator('.el-message-box__btns .el-button--primary').click()
  await expect(page.locator(`[data-test=notice-title-${notice.id}]`)).toHaveCount(0)
})

test('待办/预警 lists what needs attention, grouped, each a link', async ({ page }) => {
  await scanLogin(page, 'zhengwen', { to: '/township/warnings' })
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  const r = await call('GET', `/townships/${me.township.id}/warnings`, { token })
  expect(r.status).toBe(200)
  const items = Array.isArray(r.body) ? r.body : r.body.items
  if (!items.length) {
    await expect(page.locator('[data-test=page-empty]')).toContainText('目前没有需要处理的事项')
    await shot(page, 'township-warnings')
  } else {
    for (const kind of new Set(items.map((w) => w.kind))) {
      await expect(page.locator(`[data-test=warning-group-${kind}]`)).toBeVisible()
    }
    for (const w of items) await expect(page.locator(`[data-test="warning-${w.id}"]`)).toContainText(w.message)
    await shot(page, 'township-warnings')
    const w = items[0]
    await page.locator(`[data-test="warning-${w.id}"] a`).click()
    // the thing itself: 三资, 合同, 项目 and 账簿 screens for their link types, else the village's page
    const direct = { disclosure: `/disclosures/${w.link.id}`, fund: '/assets/funds', asset: `/assets/items/${w.link.id}`,
      contract: `/assets/contracts/${w.link.id}`, land_contract: `/land/contracts/${w.link.id}`, project: `/projects/${w.link.id}`,
      voucher: '/books/vouchers' }[w.link.type]
    await expect(page).toHaveURL(direct ? new RegExp(direct) : /\/township\/villages\/\d+/)
    await expect(page.locator('.el-main')).not.toBeEmpty()
    await shot(page, 'township-warning-target')
  }
})
