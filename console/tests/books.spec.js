// 冯立 (the township's agency accountant, 代理记账) keeps 临江村's and 新竹村's books in the console: 我代管的村 lists
// exactly those two with each one's open month, drafts and 财务公开; a click on 新竹村 switches the console to it and
// opens the vouchers of its open month (last month: the demo leaves it for him to close). He posts a balanced voucher,
// choosing the accounts by typing their names, with the totals shown as he types; an amount with three decimals is
// flagged as typed; an unbalanced voucher is refused with the server's message at the lines; a demo voucher booked
// twice is reversed with a reason, in its own month. In 临江村 an expense
// citing the road repair's decision, whose 68,500.00 元 are spent, is refused at the decision (the draft deleted).
// Back in 新竹村 he checks a voucher file with bad rows (each listed, nothing written), then closes the month after a
// confirmation saying what closing means.
import { test, expect } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loginAs, consoleToken, call, shot, PYTHON } from './harness.js'

const HEADERS = ['凭证号', '日期', '摘要', '科目编码', '科目名称', '科目体系', '借方金额', '贷方金额', '决议编号', '附件']

function writeXlsx(rows) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'vouchers-')), '凭证.xlsx')
  const script = [
    'import json, sys, openpyxl',
    'wb = openpyxl.Workbook(); ws = wb.active; ws.title = "凭证"',
    'headers, rows = json.loads(sys.argv[2])',
    'ws.append(headers)',
    'for r in rows: ws.append([r.get(h) for h in headers])',
    'wb.save(sys.argv[1])',
  ].join('\n')
  execFileSync(PYTHON, ['-c', script, file, JSON.stringify([HEADERS, rows])])
  return file
}

function monthLabel(period) {
  return `${Number(period.slice(0, 4))}年${Number(period.slice(5, 7))}月`
}

// an account chosen by typing part of its name into the line's picker
async function account(dialog, page, line, typed, label) {
  const input = dialog.locator(`[data-test=line-${line}-account] input`).first()
  await input.click()
  await input.fill(typed)
  await page.locator('.el-select-dropdown__item:visible', { hasText: label }).first().click()
}

async function amount(dialog, line, side, value) {
  await dialog.locator(`[data-test=line-${line}-${side}] input`).or(dialog.locator(`input[data-test=line-${line}-${side}]`)).first().fill(value)
}

test('冯立 switches to 新竹村, posts a balanced voucher, is refused an unbalanced one, closes the month', async ({ page }) => {
  await loginAs(page, 'fengli')
  const token = await consoleToken(page)

  // 我代管的村: the villages he is appointed to keep — 临江村 and 新竹村 in the demo (admin.spec.js, on this shared
  // server, may have added 土桥村 before this runs) — and no other village of 青山镇
  const rows = (await call('GET', '/me/kept-villages', { token })).body
  const names = rows.map((r) => r.name)
  expect(names).toEqual(expect.arrayContaining(['临江村', '新竹村']))
  await page.locator('[data-test="menu-/books/villages"]').click()
  const kept = page.locator('[data-test=kept-villages]')
  await expect(kept.locator('.el-table__body tr')).toHaveCount(rows.length)
  for (const name of names) await expect(kept).toContainText(name)
  const served = (await call('GET', '/me', { token })).body.scopes.flatMap((s) => s.village_ids || [])
  expect(rows.map((r) => r.village_id).sort()).toEqual([...new Set(served)].sort())
  const xz = rows.find((r) => r.name === '新竹村')
  const open = xz.open_month
  await expect(page.locator('[data-test=open-month-新竹村]')).toHaveText(monthLabel(open))
  await shot(page, 'books-kept-villages')

  // a click switches the console to 新竹村 and opens its open month's vouchers
  await page.locator('[data-test=kept-新竹村]').click()
  await expect(page).toHaveURL(new RegExp(`/books/vouchers\\?period=${open}`))
  await expect(page.locator('[data-test=village-switcher]')).toContainText('新竹村')
  const list = page.locator('[data-test=vouchers]')
  await expect(list.locator('.el-table__body tr').first()).toBeVisible()
  const before = (await call('GET', `/villages/${xz.village_id}/vouchers?period=${open}&status=posted`, { token })).body.total

  // a balanced voucher: accounts found by typing their names
  await page.locator('[data-test=new-voucher]').click()
  const dialog = page.locator('[data-test=voucher-dialog]')
  await expect(dialog).toBeVisible()
  await dialog.locator('[data-test=voucher-summary] input').or(dialog.locator('input[data-test=voucher-summary]')).first().fill('收取村部临街门面租金（补记）')
  await account(dialog, page, 0, '银行', '102 银行存款')
  await amount(dialog, 0, 'debit', '1200.005')
  await expect(dialog.locator('[data-test=line-0-debit-error]')).toHaveText('最多两位小数（到分）')
  await amount(dialog, 0, 'debit', '1200.50')
  await expect(dialog.locator('[data-test=line-0-debit-error]')).toHaveCount(0)
  await expect(dialog.locator('[data-test=difference]')).toContainText('借方比贷方多 1,200.50 元')
  await account(dialog, page, 1, '租赁', '501002 租赁收入')
  await amount(dialog, 1, 'credit', '1200.50')
  await expect(dialog.locator('[data-test=difference]')).toHaveText('借贷平衡 ✓')
  await dialog.locator('[data-test=attachment-input] input').or(dialog.locator('input[data-test=attachment-input]')).first().fill('收据 0031')
  await dialog.locator('[data-test=add-attachment]').click()
  await expect(dialog.locator('[data-test=attachments]')).toContainText('共 1 件')
  await shot(page, 'books-voucher-form', { fullPage: false })
  await dialog.locator('[data-test=save-and-post]').click()
  await expect(dialog).toBeHidden()
  const postedRow = list.locator('.el-table__body tr', { hasText: '收取村部临街门面租金（补记）' })
  await expect(postedRow).toContainText('已记账')
  await expect(postedRow).toContainText('1,200.50')
  const after = (await call('GET', `/villages/${xz.village_id}/vouchers?period=${open}&status=posted`, { token })).body
  const mine = after.items.find((v) => v.summary === '收取村部临街门面租金（补记）')
  expect(mine.number).toBeGreaterThan(0)
  expect(mine.lines.map((l) => [l.account_code, l.debit, l.credit])).toEqual([['102', '1200.50', '0.00'], ['501002', '0.00', '1200.50']])
  expect(mine.attachments).toEqual(['收据 0031'])
  expect(mine.period).toBe(open)

  // an unbalanced one: the difference is red as he types, the server refuses it and says so at the lines
  await page.locator('[data-test=new-voucher]').click()
  await dialog.locator('[data-test=voucher-summary] input').or(dialog.locator('input[data-test=voucher-summary]')).first().fill('购买办公用品')
  await account(dialog, page, 0, '管理', '513 管理费用')
  await amount(dialog, 0, 'debit', '350.00')
  await account(dialog, page, 1, '银行', '102 银行存款')
  await amount(dialog, 1, 'credit', '305.00')
  await expect(dialog.locator('[data-test=difference]')).toHaveText('借方比贷方多 45.00 元，还不平')
  await expect(dialog.locator('[data-test=difference]')).toHaveClass(/uneven/)
  await dialog.locator('[data-test=save-draft]').click()
  const linesError = dialog.locator('[data-test=lines-error]')
  await expect(linesError).toContainText('借贷不平：借方 350.00 元，贷方 305.00 元')
  await expect(dialog).toBeVisible()
  await shot(page, 'books-voucher-unbalanced', { fullPage: false })
  await dialog.getByRole('button', { name: '取消' }).click()
  const drafts = (await call('GET', `/villages/${xz.village_id}/vouchers?status=draft`, { token })).body
  expect(drafts.total).toBe(0) // nothing was written
  expect(after.total).toBe(before + 1)

  // a demo voucher booked twice by mistake is reversed (reason given) in its own month
  const twice = after.items.find((v) => v.summary.startsWith('购买办公用品'))
  await list.locator(`[data-test=reverse-${twice.id}]`).click()
  const rdialog = page.locator('[data-test=reverse-dialog]')
  await expect(rdialog).toContainText(`第 ${twice.number} 号凭证`)
  await rdialog.locator('[data-test=reverse-reason] input').or(rdialog.locator('input[data-test=reverse-reason]')).first().fill('重复记账')
  await rdialog.locator('[data-test=confirm-reverse]').click()
  await expect(rdialog).toBeHidden()
  await expect(list.locator(`[data-test=voucher-status-${twice.id}]`)).toHaveText('已冲销')
  const reversal = list.locator('.el-table__body tr', { hasText: `冲销${open}第${twice.number}号凭证：重复记账` })
  await expect(reversal).toContainText('冲销凭证')
  await shot(page, 'books-vouchers')

  // 临江村: the road repair's decision (68,500.00 元) is spent to the fen; one more expense citing it is refused at
  // the decision, and the draft it left is deleted
  await page.locator('[data-test="menu-/books/villages"]').click()
  await page.locator('[data-test=kept-临江村]').click()
  await expect(page.locator('[data-test=village-switcher]')).toContainText('临江村')
  await page.locator('[data-test=new-voucher]').click()
  await dialog.locator('[data-test=voucher-summary] input').or(dialog.locator('input[data-test=voucher-summary]')).first().fill('支付村道修缮尾款')
  await account(dialog, page, 0, '公益', '514 公益支出')
  await amount(dialog, 0, 'debit', '500.00')
  await account(dialog, page, 1, '银行', '102 银行存款')
  await amount(dialog, 1, 'credit', '500.00')
  await dialog.locator('[data-test=decision-picker]').first().click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '村道硬化修缮工程' }).first().click()
  await expect(dialog.locator('[data-test=decision-budget]')).toContainText('批准 68,500.00 元，已支出 68,500.00 元，尚余 0.00 元')
  await dialog.locator('[data-test=save-and-post]').click()
  const decisionError = dialog.locator('[data-test=decision-item] .el-form-item__error')
  await expect(decisionError).toContainText('批准的金额为 68500.00 元，已支出 68500.00 元')
  await expect(decisionError).toContainText('超出 500.00 元')
  await shot(page, 'books-voucher-decision-cap', { fullPage: false })
  await dialog.locator('[data-test=delete-draft]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '删除' }).click()
  await expect(dialog).toBeHidden()
  expect((await call('GET', `/villages/${rows.find((r) => r.name === '临江村').village_id}/vouchers?status=draft`, { token })).body.total).toBe(0)

  // back to 新竹村 through the switcher
  await page.locator('[data-test=village-switcher]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '新竹村' }).click()
  await expect(page.locator('[data-test=village-switcher]')).toContainText('新竹村')

  // 凭证导入: a file with bad rows is listed row by row, nothing written, no 确认导入
  await page.locator('[data-test="menu-/books/import"]').click()
  await page.locator('[data-test=voucher-file]').setInputFiles(writeXlsx([
    { 凭证号: '1', 日期: `${open}-20`, 摘要: '支付保洁员工资', 科目编码: '514', 借方金额: '600.00' },
    { 凭证号: '1', 日期: `${open}-20`, 摘要: '支付保洁员工资', 科目编码: '102', 贷方金额: '60.00' },
    { 凭证号: '2', 日期: `${open}-21`, 摘要: '购买扫帚', 科目名称: '管理费用', 借方金额: '12.345' },
    { 凭证号: '2', 日期: `${open}-21`, 摘要: '购买扫帚', 科目编码: '999', 贷方金额: '12.35' },
  ]))
  const problem = page.locator('[data-test=import-problem]')
  await expect(problem.locator('[data-test=bad-row-2]')).toHaveText('第 2 行')
  await expect(problem).toContainText('借贷不平')
  await expect(problem.locator('[data-test=bad-row-4]')).toBeVisible()
  await expect(page.locator('[data-test=confirm-import]')).toHaveCount(0)
  await shot(page, 'books-import-bad-rows')

  // 月结: the open month closes after the confirmation
  await page.locator('[data-test="menu-/books/months"]').click()
  await expect(page.locator(`[data-test=month-status-${open}]`)).toContainText('下一个要结的月份')
  await page.locator(`[data-test=close-${open}]`).click()
  const confirm = page.locator('.el-message-box')
  await expect(confirm).toContainText('不能再新增、修改或记入凭证')
  await shot(page, 'books-month-close-confirm', { fullPage: false })
  await confirm.getByRole('button', { name: '确认结账' }).click()
  await expect(page.locator(`[data-test=month-status-${open}]`)).toContainText('已结账')
  await expect(page.locator(`[data-test=month-status-${open}]`)).toContainText('冯立')
  await shot(page, 'books-months')
  const kept2 = (await call('GET', '/me/kept-villages', { token })).body.find((r) => r.name === '新竹村')
  expect(kept2.last_closed).toBe(open)
  expect(kept2.open_month > open).toBe(true)
})
