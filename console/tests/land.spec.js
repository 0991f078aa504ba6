// 土地 in the console: 李秀英 (accountant of 临江村) opens 租金, records 惠农粮油's overdue rent of this year (登记收款,
// the amount as owed), and is taken to 转付农户: every household's part is 待转付 — received by the village, not yet
// theirs. She hands one household its part in cash (the head signs for it), lists the others with a bank account in
// a bank batch, downloads the bank's file (its total is the batch's; the accounts as text), and marks the batch paid
// with the bank's receipt number: each of them reads 已转付. Then she drafts a lease of the collective's 北岗果园
// resting on the village's lease decision (240,000.00 元, 231,000.00 already leased on it) at 5,000.00 元 a year for
// three years, and is refused at the decision's field with its title and amount. Last, she downloads the contracts'
// import template from 导入. Screenshots of each main screen.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { loginAs, consoleUrl, shot, readXlsx, money } from './harness.js'

const url = (p) => consoleUrl(p)
const input = (scope, name) => scope.locator(`[data-test=${name}] input`).or(scope.locator(`input[data-test=${name}]`)).first()

// a screenshot from the top of the page (a sticky header over a scrolled page shows twice in a full-page shot)
async function topShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, name)
}

// an el-select: open it, type to search, choose the option showing `text`
async function pickOption(page, field, text) {
  await page.locator(`[data-test=${field}]`).first().click()
  await input(page, field).fill(text)
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click()
}

async function setDate(page, field, day) {
  const box = input(page, field)
  await box.click()
  await box.fill(day)
  await box.press('Enter')
}

test('an accountant records rent, passes it on to the households, and a lease over its decision is refused', async ({ page }) => {
  test.setTimeout(120_000)
  page.setDefaultTimeout(15_000) // a step that cannot happen fails at its line, not at the test's end
  await loginAs(page, 'lixiuying')

  // 租金: this year's dues; 惠农's is overdue
  await page.goto(url('/land/rent'))
  await expect(page.locator('[data-test=dues-table]')).toBeVisible()
  await expect(page.locator('[data-test=due-status-LJLZ-002]')).toHaveText('逾期未付清')
  await expect(page.locator('[data-test=awaiting-none]')).toBeVisible() // the demo's past rent is all passed on
  await shot(page, 'land-rent')

  await page.locator('[data-test=record-LJLZ-002]').click()
  const dlg = page.locator('[data-test=payment-dialog]')
  await expect(input(dlg, 'payment-amount')).not.toHaveValue('')
  const owed = await input(dlg, 'payment-amount').inputValue()
  await input(dlg, 'payment-reference').fill('农商银行回单 HN-2026-12')
  await dlg.locator('[data-test=payment-save]').click()

  // 转付农户: received, but nobody has it yet
  await page.waitForURL(/\/land\/payments\/\d+/)
  await expect(page.locator('[data-test=payout-table]')).toBeVisible()
  await expect(page.locator('[data-test=passed-total]')).toHaveText('0.00')
  const firstCash = page.locator('[data-test^=cash-]').first()
  const cashHousehold = (await firstCash.getAttribute('data-test')).slice('cash-'.length)
  const cashStatus = page.locator(`[data-test=payout-status-${cashHousehold}]`)
  await expect(cashStatus).toHaveText('待转付')
  await topShot(page, 'land-payout-pending')

  // one household in cash: the head takes it and signs
  await firstCash.click()
  const cash = page.locator('[data-test=cash-dialog]')
  await expect(input(cash, 'cash-receiver')).not.toHaveValue('')
  await cash.locator('[data-test=cash-save]').click()
  await expect(cashStatus).toHaveText('已转付')

  // the others with a bank account: one bank batch
  await page.locator('[data-test=payout-table] .el-table__header .el-checkbox').click()
  const make = page.locator('[data-test=make-batch]')
  await expect(make).toBeEnabled()
  const picked = Number((await make.innerText()).match(/(\d+)/)[1])
  expect(picked).toBeGreaterThan(0)
  await make.click()
  const batch = page.locator('[data-test^=batch-]').filter({ has: page.locator('[data-test^=batch-file-]') }).first()
  await expect(batch).toBeVisible()
  const batchId = (await batch.getAttribute('data-test')).slice('batch-'.length)
  const header = await batch.locator('.group-title').innerText()
  const batchTotal = money(header.match(/合计 ([\d,]+\.\d{2}) 元/)[1])
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-test=batch-file-${batchId}]`).click()])
  const saved = path.join(mkdtempSync(path.join(tmpdir(), 'land-')), file.suggestedFilename())
  await file.saveAs(saved)
  const rows = readXlsx(saved)
  expect(rows[0]).toEqual(['序号', '户号', '户名', '开户行', '账号', '金额（元）', '摘要'])
  const lines = rows.slice(1, -1)
  expect(lines.length).toBe(picked)
  expect(lines.every((r) => /^\d{8,}$/.test(r[4]))).toBe(true)
  expect(money(rows[rows.length - 1][5])).toBe(batchTotal)
  await topShot(page, 'land-payout-batch')
  await input(page, `batch-reference-${batchId}`).fill('DF20261206001')
  await page.locator(`[data-test=batch-paid-${batchId}]`).click()
  await expect(batch).toBeHidden()
  const bankHousehold = lines[0][1]
  await expect(page.locator(`[data-test=payout-status-${bankHousehold}]`)).toHaveText('已转付')
  await expect(cashStatus).toHaveText('已转付')
  await topShot(page, 'land-payout-done')

  // back at 租金: the payment shows what is passed on; the households' part is no longer all owed to them
  await page.goto(url('/land/rent'))
  await expect(page.locator('[data-test=due-status-LJLZ-002]')).toHaveText('已付清')
  expect(money(owed)).not.toBe('0.00')

  // 地块 and a contract
  await page.goto(url('/land/parcels'))
  await input(page, 'parcel-search').fill('北岗')
  await input(page, 'parcel-search').press('Enter')
  await expect(page.locator('[data-test=parcel-list]')).toContainText('北岗集体果园')
  await shot(page, 'land-parcels')
  // a household's parcel: the household is picked by a member's name (the picker any keeper of the books may use)
  await page.locator('[data-test=new-parcel]').click()
  const dialog = page.locator('[data-test=parcel-dialog]')
  await pickOption(page, 'household-picker', '张大山')
  await expect(dialog.locator('[data-test=household-picker]')).toContainText('LJ-005')
  await dialog.getByRole('button', { name: '取消' }).click()
  await page.goto(url('/land/contracts'))
  await page.locator('[data-test=contract-LJZL-001]').click()
  await expect(page.locator('[data-test=contract-dues]')).toBeVisible()
  await shot(page, 'land-contract')

  // a lease of 北岗果园 beyond what its decision leaves: refused at the decision's field
  await page.goto(url('/land/contracts/new'))
  await page.locator('[data-test=contract-kind]').getByText('集体资产出租').click()
  await input(page, 'contract-number').fill('LJZL-009')
  await input(page, 'contract-title').fill('北岗果园出租')
  await pickOption(page, 'contract-party', '鑫源家庭农场')
  await pickOption(page, 'contract-parcels', '北岗集体果园')
  await page.locator('h2.page-title').click() // the multiple choice stays open: close it
  await setDate(page, 'contract-start', '2027-01-01')
  await setDate(page, 'contract-end', '2030-01-01')
  await pickOption(page, 'contract-use', '果树种植')
  await input(page, 'period-amount-0').fill('5000.00')
  await pickOption(page, 'contract-decision', '集体资产出租方案')
  await page.locator('[data-test=contract-save]').click()
  const decisionItem = page.locator('.el-form-item').filter({ has: page.locator('[data-test=contract-decision]') })
  await expect(decisionItem.locator('.el-form-item__error')).toContainText('240000.00')
  await expect(decisionItem.locator('.el-form-item__error')).toContainText('集体资产出租方案')
  await expect(decisionItem.locator('.el-form-item__error')).toContainText('15000.00')
  await expect(decisionItem.locator('.el-form-item__error')).toContainText('还可出租 9000.00 元')
  await topShot(page, 'land-contract-refused')

  // 导入: each kind's template comes from the server, with the columns its importer reads
  await page.goto(url('/land/import'))
  await page.locator('[data-test=import-what]').getByText('合同表').click()
  const [template] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=download-template-contracts]').click()])
  expect(template.suggestedFilename()).toMatch(/contract-template\.xlsx$/)
  const templateFile = path.join(mkdtempSync(path.join(tmpdir(), 'land-')), template.suggestedFilename())
  await template.saveAs(templateFile)
  const templateRows = readXlsx(templateFile)
  expect(templateRows[0][0]).toBe('合同编号')
  expect(templateRows[0]).toContain('依据决议')
  await shot(page, 'land-import')
})
