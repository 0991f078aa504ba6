// 合同登记 in the console: 李秀英 (accountant of 临江村) opens 三资 · 合同登记 and sees land's contracts beside the
// collective's own: the 保洁 contract ends in 60 days (in red), the road machinery lease has 8,000.00 overdue; a land
// row opens in 土地; 只看90天内到期 narrows the list; 导出 gives the .xlsx with both sources. On the machinery lease
// she records the overdue installment: 9,000.00 is refused in Chinese (8,000.00 left), 8,000.00 settles it. 王建国
// (secretary) signs a new contract: the schedule's live check says what is missing, a contract over the threshold
// without a decision is refused at the decision's field, and with the resolved 村道硬化工程 decision it is saved.
// 李秀英 imports two contracts from .xlsx: a file with a wrong 类别 is refused row by row and writes nothing; the
// corrected file passes the check and is imported. A villager reads only the public fields and cannot open a
// contract's page (API 403).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { PYTHON, appToken, call, consoleUrl, loginAs, readXlsx, shot } from './harness.js'

const url = (p) => consoleUrl(p)
const input = (scope, name) => scope.locator(`[data-test=${name}] input`).or(scope.locator(`input[data-test=${name}]`)).first()

async function setDate(scope, field, day) {
  const box = input(scope, field)
  await box.click()
  await box.fill(day)
  await box.press('Enter')
}

// a screenshot from the top of the page (a sticky header over a scrolled page shows twice in a full-page shot)
async function topShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, name)
}

function isoDaysFromNow(n) {
  const d = new Date(Date.now() + 8 * 3600 * 1000 + n * 86400 * 1000) // China's date
  return d.toISOString().slice(0, 10)
}

test('the accountant reads the register, exports it and records an overdue installment', async ({ page }) => {
  test.setTimeout(120_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'lixiuying')
  await page.locator('[data-test="menu-/assets/contracts"]').click()
  await expect(page.locator('[data-test=register]')).toBeVisible()
  await expect(page.locator('[data-test=days-LJHT-2026-002]')).toHaveText('60 天')
  await expect(page.locator('[data-test=days-LJHT-2026-002]')).toHaveClass(/danger/)
  await expect(page.locator('[data-test=overdue-LJHT-2026-003]')).toHaveText('8,000.00')
  await expect(page.locator('[data-test=row-LJZL-001]')).toBeVisible() // land's leases are here too
  await topShot(page, 'contracts-register')

  // a land contract opens in 土地
  await page.locator('[data-test=row-LJLZ-002]').click()
  await page.waitForURL(/\/land\/contracts\/\d+$/)
  await page.goBack()
  await expect(page.locator('[data-test=register]')).toBeVisible()

  // within 90 days only
  await page.locator('[data-test=expiring-filter]').click()
  await expect(page.locator('[data-test=row-LJHT-2026-002]')).toBeVisible()
  await expect(page.locator('[data-test=row-LJHT-2026-001]')).toHaveCount(0)
  await page.locator('[data-test=expiring-filter]').click()

  // the export
  const dir = mkdtempSync(path.join(tmpdir(), 'contracts-'))
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export]').click()])
  const saved = path.join(dir, 'contracts.xlsx')
  await file.saveAs(saved)
  const numbers = readXlsx(saved).map((row) => row[0])
  expect(numbers).toContain('LJHT-2026-003')
  expect(numbers).toContain('LJLZ-001')

  // the overdue installment of the machinery lease
  await page.locator('[data-test=row-LJHT-2026-003]').click()
  await page.waitForURL(/\/assets\/contracts\/\d+$/)
  await expect(page.locator('[data-test=overdue]')).toContainText('8,000.00')
  await expect(page.locator('[data-test=asset]')).toHaveText('压路机（LJ-ZC-005）')
  await topShot(page, 'contracts-lease')
  await page.locator('[data-test=settle-2]').click()
  const dlg = page.locator('[data-test=settle-dialog]')
  await input(dlg, 'settle-amount').fill('9000.00')
  await dlg.locator('[data-test=settle-save]').click()
  await expect(dlg.locator('[data-test=settle-error]')).toContainText('第2期尚余 8000.00 元未结清，收款不能超过这个数')
  await shot(page, 'contracts-settle-refused', { fullPage: false })
  await input(dlg, 'settle-amount').fill('8000.00')
  await dlg.locator('[data-test=settle-save]').click()
  await expect(page.locator('[data-test=outstanding-2]')).toHaveText('0.00')
  await expect(page.locator('[data-test=settlements]')).toContainText('8,000.00')
  await expect(page.locator('[data-test=overdue]')).toHaveCount(0)
})

test('the secretary signs a contract: the schedule is checked as he types, and a large one needs its decision', async ({ page }) => {
  test.setTimeout(120_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'wangjianguo')
  await page.goto(url('/assets/contracts/new'))
  const form = page.locator('[data-test=contract-form]')
  await form.locator('[data-test=contract-kind] label', { hasText: '工程施工' }).click()
  await input(form, 'contract-number').fill('LJHT-2026-009')
  await input(form, 'contract-title').fill('河湾组村道路灯安装')
  await input(form, 'contract-counterparty').fill('临江电力安装队')
  await setDate(form, 'contract-signed', isoDaysFromNow(-2))
  await setDate(form, 'contract-start', isoDaysFromNow(0))
  await setDate(form, 'contract-end', isoDaysFromNow(120))
  await input(form, 'contract-total').fill('60000')
  await setDate(form, 'due-1', isoDaysFromNow(30))
  await input(form, 'amount-1').fill('20000')
  await expect(form.locator('[data-test=schedule-check]')).toHaveText('各期合计 20,000.00 元，还差 40,000.00 元')
  await expect(form.locator('[data-test=contract-save]')).toBeDisabled()
  await form.locator('[data-test=add-installment]').click()
  await setDate(form, 'due-2', isoDaysFromNow(110))
  await input(form, 'amount-2').fill('40000.00')
  await expect(form.locator('[data-test=schedule-check]')).toHaveText('各期合计 60,000.00 元，与合同金额一致')

  // no decision: refused at the decision's field
  await form.locator('[data-test=contract-save]').click()
  await expect(form.locator('[data-test=form-error]')).toContainText('须依据本村已通过的四议两公开决议')
  await expect(form.locator('.el-form-item__error').first()).toContainText('须依据本村已通过的四议两公开决议')
  await topShot(page, 'contracts-new-refused')

  // the resolved decision, chosen by its title
  await form.locator('[data-test=contract-decision]').click()
  await input(form, 'contract-decision').fill('村道硬化')
  await page.locator('.el-select-dropdown__item:visible', { hasText: '村道硬化工程' }).first().click()
  await form.locator('[data-test=contract-save]').click()
  await page.waitForURL(/\/assets\/contracts\/\d+$/)
  await expect(page.locator('[data-test=decision]')).toHaveText('村道硬化工程')
  await expect(page.locator('[data-test=schedule]')).toContainText('40,000.00')
  await topShot(page, 'contracts-signed')
})

const HEADERS = ['合同编号', '合同名称', '类别', '收支', '合同对方', '统一社会信用代码', '联系电话', '合同金额（元）', '签订日期',
  '开始日期', '到期日期', '保证金（元）', '依据决议', '备注', '应付日期', '本期金额（元）']

function writeXlsx(rows) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'contracts-')), '合同表.xlsx')
  const script = [
    'import json, sys, openpyxl',
    'wb = openpyxl.Workbook(); ws = wb.active; ws.title = "合同表"',
    'headers, rows = json.loads(sys.argv[2])',
    'ws.append(headers)',
    'for r in rows: ws.append([r.get(h) for h in headers])',
    'wb.save(sys.argv[1])',
  ].join('\n')
  execFileSync(PYTHON, ['-c', script, file, JSON.stringify([HEADERS, rows])])
  return file
}

test('the accountant imports contracts from .xlsx: a bad row is refused, the corrected file is imported', async ({ page }) => {
  test.setTimeout(120_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'lixiuying')
  await page.goto(url('/assets/contracts'))
  await page.locator('[data-test=import]').click()
  await page.waitForURL(/\/assets\/contracts\/import$/)
  const first = { 合同编号: 'LJHT-2026-021', 合同名称: '村庄绿化养护', 类别: '绿化', 收支: '支出', 合同对方: '绿源园林服务部',
    '合同金额（元）': '20000.00', 签订日期: isoDaysFromNow(-10), 开始日期: isoDaysFromNow(-10), 到期日期: isoDaysFromNow(300),
    应付日期: isoDaysFromNow(60), '本期金额（元）': '10000.00' }
  const second = { 合同编号: 'LJHT-2026-021', 应付日期: isoDaysFromNow(240), '本期金额（元）': '10000.00' }
  const other = { 合同编号: 'LJHT-2026-022', 合同名称: '道路机械维修', 类别: '服务', 收支: '支出', 合同对方: '永固机械维修部',
    '合同金额（元）': '4800', 签订日期: isoDaysFromNow(-5), 开始日期: isoDaysFromNow(-5), 到期日期: isoDaysFromNow(360),
    应付日期: isoDaysFromNow(30), '本期金额（元）': '4800' }
  await page.locator('[data-test=contracts-file]').setInputFiles(writeXlsx([first, second, other]))
  await expect(page.locator('[data-test=import-problem]')).toContainText('有 1 行有误')
  await expect(page.locator('[data-test=bad-row-2]')).toBeVisible()
  await expect(page.locator('[data-test=bad-rows]')).toContainText('类别应为')
  await topShot(page, 'contracts-import-refused')
  await page.locator('[data-test=contracts-file]').setInputFiles(writeXlsx([{ ...first, 类别: '服务' }, second, other]))
  await expect(page.locator('[data-test=dry-run-ok]')).toContainText('可以导入 2 份合同（3 期款项）')
  await page.locator('[data-test=confirm-import]').click()
  await expect(page.locator('[data-test=import-done]')).toContainText('已导入 2 份合同（3 期款项）')
  await topShot(page, 'contracts-import-done')
  await page.goto(url('/assets/contracts'))
  await expect(page.locator('[data-test=row-LJHT-2026-021]')).toBeVisible()
  await expect(page.locator('[data-test=row-LJHT-2026-022]')).toBeVisible()
})

test('a villager reads the public fields only and cannot open a contract', async () => {
  const staff = await appToken('lixiuying')
  const villager = await appToken('zhangdashan')
  const me = await call('GET', '/me', { token: villager })
  const vid = me.body.village.id
  const full = await call('GET', `/villages/${vid}/contracts?source=collective`, { token: staff })
  expect(full.status).toBe(200)
  const id = full.body.items[0].id
  const r = await call('GET', `/villages/${vid}/contracts?source=collective`, { token: villager })
  expect(r.status).toBe(200)
  expect(r.body.items.length).toBe(full.body.items.length)
  for (const row of r.body.items) {
    expect(row.counterparty_phone).toBeNull()
    expect(row.deposit).toBeNull()
    expect(row.title).toBeTruthy()
  }
  expect((await call('GET', `/contracts/${id}`, { token: villager })).status).toBe(403)
  expect((await call('POST', `/villages/${vid}/contracts`, { token: villager, body: {} })).status).toBe(403)
})
