// 李秀英 (accountant of 临江村) takes this year's 年终分红 from the demo's draft to paid, in the console: a new plan
// shows the village's buckets with the amounts they give (and a year already distributed is refused at the top of
// the form); she opens the draft, computes it on its 股权登记日 (the list's total said against the dividend money,
// sorted by amount), publishes it on the 成员大会's decision picked by title, answers a villager's objection, waits
// out the 公示 (this spec's own server and the page's clock move past it), opens the payout, downloads the bank
// batch file (its amounts are numbers; with the cash sheet it adds up to the plan), records the households without
// an account as paid in cash (ticked) and the rest by bank in one go, and sees the vouchers posted. Last, the share
// register: a household's dated events, and an adjustment recorded for a household picked by name.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { startServer, loginAs, consoleUrl, consoleToken, call, appToken, shot, PYTHON } from './harness.js'

const CLOCK_FILE = path.join(mkdtempSync(path.join(tmpdir(), 'dividends-clock-')), 'offset')
let srv = null

test.beforeAll(async () => {
  test.setTimeout(180_000)
  writeFileSync(CLOCK_FILE, '')
  srv = await startServer({ TEST_CLOCK_FILE: CLOCK_FILE })
})
test.afterAll(async () => {
  await srv?.stop()
})

const url = (p) => consoleUrl(p, srv)
const api = (method, p, opts = {}) => call(method, p, { ...opts, srv })

function fen(v) {
  const [i, f = ''] = String(v).replace(/,/g, '').split('.')
  return Number(i) * 100 + Number((f + '00').slice(0, 2))
}

// both sheets of the bank file, each cell as [value, 'n' | 's']
function readBankFile(file) {
  const out = execFileSync(PYTHON, ['-c',
    'import json, sys, openpyxl\n' +
    'wb = openpyxl.load_workbook(sys.argv[1])\n' +
    'print(json.dumps({ws.title: [[[None if c.value is None else (str(c.value)), c.data_type] for c in r] for r in ws.iter_rows()] for ws in wb.worksheets}, ensure_ascii=False))',
    file], { encoding: 'utf8' })
  return JSON.parse(out)
}

test('李秀英 computes, publishes and pays this year\'s dividend; the bank file adds up to the plan', async ({ page }) => {
  test.setTimeout(180_000)
  page.setDefaultTimeout(20_000)
  await loginAs(page, 'lixiuying', { srv })
  let token = await consoleToken(page)
  const vid = (await api('GET', '/me', { token })).body.village.id
  const plans = (await api('GET', `/villages/${vid}/distributions`, { token })).body.items
  const draft = plans.find((p) => p.status === 'draft')
  expect(draft, 'the demo\'s 年终分红 draft').toBeTruthy()

  // the plans; a new plan shows the village's buckets and what they give; last year is refused (already paid)
  await page.goto(url('/dividends/plans'))
  await expect(page.locator(`[data-test=plan-status-${draft.id}]`)).toHaveText('草稿')
  await page.locator('[data-test=plan-new]').click()
  const form = page.locator('.el-dialog').filter({ hasText: '新建收益分配方案' })
  await expect(form.locator('[data-test=plan-buckets]')).toContainText('提取公积金')
  await expect(form.locator('[data-test=plan-distributable]')).toContainText('可分配收益')
  await shot(page, 'dividends-new-plan', { fullPage: false })
  // a fixed dividend per member without its amount: refused at 分红方式; taken out again
  await form.locator('[data-test=plan-fixed-add]').click()
  await form.locator('[data-test=plan-save]').click()
  await expect(form.locator('.el-form-item__error')).toContainText('第1项：固定分红须填写大于零的金额')
  await expect(form.locator('[data-test=plan-error]')).toHaveCount(0)
  await form.locator('[data-test=plan-fixed-1]').getByRole('button', { name: '删除' }).click()
  await form.locator('[data-test=plan-save]').click()
  await expect(form.locator('[data-test=plan-error]')).toContainText('年度已有收益分配方案')
  await form.locator('.el-dialog__headerbtn').click()
  await shot(page, 'dividends-plans')

  // the village's split as settings: the 433 preset; a total over 100% is refused with the rule
  await page.locator('[data-test=template-open]').click()
  const tpl = page.locator('.el-dialog').filter({ hasText: '本村收益分配比例' })
  await expect(tpl.locator('[data-test=template-table] tbody input').first()).toHaveValue('提取公积金') // the village's own
  await tpl.locator('[data-test=template-433]').click()
  await expect(tpl.locator('[data-test=template-total]')).toContainText('合计 100%，其中留存 70%')
  await tpl.locator('[data-test=template-table] tbody tr').first().locator('.el-input-number input').fill('50')
  await tpl.locator('[data-test=template-table] tbody tr').first().locator('.el-input-number input').blur()
  await tpl.locator('[data-test=template-save]').click()
  await expect(tpl.locator('[data-test=template-error]')).toContainText('合计应为 100%')
  await shot(page, 'dividends-template', { fullPage: false })
  await tpl.getByRole('button', { name: '取消' }).click()

  // the draft: computed on its 股权登记日; the list's total is the dividend money
  await page.locator(`[data-test=plan-${draft.id}]`).click()
  await expect(page.locator('[data-test=plan-title]')).toContainText('年终分红')
  await expect(page.locator('[data-test=plan-decision-title]')).toContainText('年终分红方案')
  await page.locator('[data-test=compute]').click()
  await expect(page.locator('[data-test=plan-status]')).toHaveText('已试算')
  const plan = (await api('GET', `/distributions/${draft.id}`, { token })).body
  expect(fen(plan.total)).toBe(fen(plan.pool))
  await expect(page.locator('[data-test=lines-total]')).toContainText(`与分红资金 ${Number(plan.pool).toLocaleString('en-US', { minimumFractionDigits: 2 })} 元相等`)
  await page.locator('[data-test=lines-table] th', { hasText: '金额' }).click() // ascending
  await page.locator('[data-test=lines-table] th', { hasText: '金额' }).click() // descending
  const top = (await api('GET', `/distributions/${draft.id}/lines?sort=-amount&page_size=1`, { token })).body.items[0]
  await expect(page.locator('[data-test=lines-table] tbody tr').first()).toContainText(top.household_number)
  await page.locator('[data-test=lines-total]').scrollIntoViewIfNeeded()
  await shot(page, 'dividends-preview', { fullPage: false })

  // published on the decision the plan names (picked by title); a villager objects, she answers
  await expect(page.locator('[data-test=publish-decision]')).toContainText('年终分红方案')
  await page.locator('[data-test=publish]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '公布' }).click()
  await expect(page.locator('[data-test=plan-status]')).toHaveText('公示中')
  const published = (await api('GET', `/distributions/${draft.id}`, { token })).body
  await expect(page.locator('[data-test=publicity-until]')).toContainText(`公示到 ${published.publicity_until} 结束`)
  await expect(page.locator('[data-test=open-payout]')).toBeDisabled()
  const obj = await api('POST', `/distributions/${draft.id}/objections`, { token: await appToken('zhangdashan', srv), body: { text: '我家今年的劳龄股算对了吗？' } })
  expect(obj.status, JSON.stringify(obj.body)).toBe(201)
  await page.reload()
  await page.locator(`[data-test=answer-input-${obj.body.id}]`).fill('您家3股成员股、2股劳龄股，共5股，与股权登记簿一致，已核对无误。')
  await page.locator(`[data-test=answer-send-${obj.body.id}]`).click()
  await expect(page.locator(`[data-test=answer-${obj.body.id}]`)).toContainText('已核对无误')
  await page.locator('.el-collapse-item__header', { hasText: '公示的名单' }).click()
  const masked = page.locator('[data-test=lines-masked]')
  await expect(masked).toContainText('张*山') // LJ-005's head, masked
  await expect(masked).not.toContainText('张大山')
  await expect(masked).not.toContainText('051X') // no ID number, not even its last four
  await expect(page.locator('[data-test=print-notice]')).toBeVisible()
  await page.locator('[data-test=publicity-card]').scrollIntoViewIfNeeded()
  await page.evaluate(() => document.querySelector('[data-test=publicity-card]').scrollIntoView())
  await shot(page, 'dividends-publicity', { fullPage: false })

  // the day after the 公示: both clocks move; she logs in again if the session ran out
  const when = new Date(`${published.publicity_until}T09:00:00+08:00`)
  when.setUTCDate(when.getUTCDate() + 1)
  writeFileSync(CLOCK_FILE, String((when.getTime() - Date.now()) / 1000))
  await page.clock.setFixedTime(when)
  await page.goto(url(`/dividends/plans/${draft.id}`))
  if (page.url().includes('/login')) {
    await loginAs(page, 'lixiuying', { srv })
    await page.goto(url(`/dividends/plans/${draft.id}`))
  }
  token = await consoleToken(page)
  await page.locator('[data-test=open-payout]').click()
  await expect(page.locator('[data-test=plan-status]')).toHaveText('发放中')

  // the bank's batch file: amounts are numbers; with the cash sheet it is the plan's total
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=bank-file]').click()])
  const saved = path.join(mkdtempSync(path.join(tmpdir(), 'dividends-bank-')), file.suggestedFilename())
  await file.saveAs(saved)
  const book = readBankFile(saved)
  const bank = book['银行代发']
  const cash = book['缺少账户']
  const bankRows = bank.slice(1, -1)
  const cashRows = cash.slice(1, -1)
  expect(bank.at(-1)[0][0]).toBe('合计')
  expect(bankRows.every((r) => r[5][1] === 'n' && r[4][1] === 's')).toBe(true) // amount a number, account text
  const bankTotal = fen(bank.at(-1)[5][0])
  const cashTotal = fen(cash.at(-1)[3][0])
  expect(bankRows.reduce((s, r) => s + fen(r[5][0]), 0)).toBe(bankTotal)
  expect(bankTotal + cashTotal).toBe(fen(plan.total))
  expect(cashRows.length).toBeGreaterThan(0)

  // the households without an account: paid in cash, ticked one by one; the rest by bank, all at once
  await page.locator('[data-test=pay-method]').getByText('现金发放').click()
  await page.locator('[data-test=pay-reference]').fill('分红大会本人签字领取')
  for (const r of cashRows) {
    await page.locator('[data-test=lines-table] tbody tr', { hasText: r[1][0] }).locator('.el-checkbox').click()
  }
  await page.locator('[data-test=pay-selected]').click()
  for (const r of cashRows) await expect(page.locator(`[data-test=paid-${r[1][0]}]`)).toContainText('已发')
  await page.locator('[data-test=pay-method]').getByText('银行代发').click()
  await page.locator('[data-test=pay-reference]').fill('农商银行批量代发 NZFH01')
  await page.locator('[data-test=pay-all]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '登记' }).click()
  await expect(page.locator('[data-test=plan-status]')).toHaveText('已发放')
  const vouchers = page.locator('[data-test=payout-vouchers] tbody tr')
  await expect(vouchers).toHaveCount(3)
  await expect(vouchers.nth(0)).toContainText('分配凭证')
  await expect(vouchers.nth(1)).toContainText(`现金发放 ${cashRows.length} 户`)
  await expect(vouchers.nth(2)).toContainText(`银行代发 ${bankRows.length} 户`)
  const done = (await api('GET', `/distributions/${draft.id}`, { token })).body
  expect(done.paid_total).toBe(plan.total)
  await page.evaluate(() => document.querySelector('[data-test=payout-card]').scrollIntoView())
  await shot(page, 'dividends-payout', { fullPage: false })
  await page.evaluate(() => document.querySelector('[data-test=payout-vouchers]').scrollIntoView())
  await shot(page, 'dividends-vouchers', { fullPage: false })
  // the distribution's voucher opens in 凭证, in its month
  const accrual = (await api('GET', `/distributions/${draft.id}/payments`, { token })).body.accrual_voucher
  await page.locator(`[data-test=payout-voucher-${accrual.id}]`).click()
  await expect(page).toHaveURL(new RegExp(`/books/vouchers\\?period=${accrual.period}`))
  await expect(page.locator('[data-test=vouchers]')).toContainText(accrual.summary)

  // the share register: a household's events; an adjustment for a household picked by name
  await page.goto(url('/dividends/register'))
  await expect(page.locator('[data-test=reg-LJ-005]')).toBeVisible()
  await page.locator('[data-test=events-LJ-005]').click()
  await expect(page.locator('[data-test=household-events]')).toContainText('初始登记')
  await shot(page, 'dividends-household-events', { fullPage: false })
  await page.locator('.el-drawer__close-btn').click()
  await page.locator('[data-test=event-open]').click()
  const ev = page.locator('.el-dialog').filter({ hasText: '登记股权变动' })
  await ev.locator('[data-test=change-0] [data-test=household-picker]').click()
  await page.keyboard.type('孙有福')
  await page.locator('.el-select-dropdown__item:visible', { hasText: '孙有福' }).first().click()
  await ev.locator('[data-test=change-0] .el-input-number input').fill('-9')
  await ev.locator('[data-test=event-note]').fill('更正：多记的股份')
  await ev.locator('[data-test=event-save]').click()
  await expect(ev.locator('[data-test=event-error]')).toContainText('少于零') // more than the household holds
  await ev.locator('[data-test=change-0] .el-input-number input').fill('1')
  await ev.locator('[data-test=event-note]').fill('经成员大会同意，补配成员股1股')
  await shot(page, 'dividends-event-form', { fullPage: false })
  await ev.locator('[data-test=event-save]').click()
  await expect(ev).toBeHidden()
  await shot(page, 'dividends-register', { fullPage: false })

  // 孙有福's household had no bank account (paid in cash): the account is recorded, a short number refused at its field
  await page.locator('[data-test=payee-LJ-007]').click()
  const payee = page.locator('.el-dialog').filter({ hasText: '领取分红的银行账户' })
  await payee.locator('[data-test=payee-bank]').fill('山东夏津农村商业银行青山支行')
  await payee.locator('[data-test=payee-no]').fill('6230 12')
  await payee.locator('[data-test=payee-save]').click()
  await expect(payee.locator('.el-form-item__error')).toBeVisible()
  await payee.locator('[data-test=payee-no]').fill('6230 0100 0000 0000 123')
  await payee.locator('[data-test=payee-save]').click()
  await expect(payee).toBeHidden()
  await expect(page.locator('.el-message--success').last()).toContainText('0123')

  // the register's round trip: exported, one row spoiled → the bad row is listed and nothing can be confirmed;
  // one share added instead → checked, then imported as one adjustment
  const [exported] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=register-export]').click()])
  const dir = mkdtempSync(path.join(tmpdir(), 'dividends-register-'))
  const original = path.join(dir, 'register.xlsx')
  await exported.saveAs(original)
  const bad = path.join(dir, 'bad.xlsx')
  const good = path.join(dir, 'good.xlsx')
  execFileSync(PYTHON, ['-c',
    'import sys, openpyxl\n' +
    'wb = openpyxl.load_workbook(sys.argv[1]); ws = wb.worksheets[0]\n' +
    'col = [c.value for c in ws[1]].index("劳龄股") + 1\n' +
    'ws.cell(row=2, column=col).value = "两股"; wb.save(sys.argv[2])\n' +
    'wb = openpyxl.load_workbook(sys.argv[1]); ws = wb.worksheets[0]\n' +
    'ws.cell(row=2, column=col).value = int(ws.cell(row=2, column=col).value or 0) + 1; wb.save(sys.argv[3])',
    original, bad, good])
  await page.locator('[data-test=register-import]').click()
  const imp = page.locator('.el-dialog').filter({ hasText: '导入股权登记簿' })
  await imp.locator('[data-test=register-file]').setInputFiles(bad)
  await expect(imp.locator('[data-test=bad-rows]')).toContainText('第 2 行')
  await expect(imp.locator('[data-test=import-confirm]')).toHaveCount(0)
  await shot(page, 'dividends-import-errors', { fullPage: false })
  await imp.locator('[data-test=register-file]').setInputFiles(good)
  await expect(imp.locator('[data-test=import-checked]')).toContainText('检查通过')
  const before = (await api('GET', `/villages/${vid}/share-register?page_size=1`, { token })).body.total_shares
  await imp.locator('[data-test=import-confirm]').click()
  await expect(imp.locator('[data-test=import-done]')).toContainText('导入完成')
  expect((await api('GET', `/villages/${vid}/share-register?page_size=1`, { token })).body.total_shares).toBe(before + 1)

  await imp.getByRole('button', { name: '关闭', exact: true }).click()
  await expect(imp).toBeHidden()

  // 赵德明 (supervisor) follows it all and changes nothing: the plan, its vouchers, no buttons that write
  await page.locator('[data-test=logout]').click()
  await expect(page).toHaveURL(/\/login/)
  await loginAs(page, 'zhaodeming', { srv })
  await page.goto(url(`/dividends/plans/${draft.id}`))
  await expect(page.locator('[data-test=payout-vouchers] tbody tr')).toHaveCount(3)
  await expect(page.locator('[data-test=plan-status]')).toHaveText('已发放')
  for (const t of ['bank-file', 'pay-form', 'plan-cancel']) await expect(page.locator(`[data-test=${t}]`)).toHaveCount(0)
  await page.goto(url('/dividends/register'))
  await expect(page.locator('[data-test=reg-LJ-005]')).toBeVisible()
  for (const t of ['event-open', 'register-import', 'cert-LJ-005']) await expect(page.locator(`[data-test=${t}]`)).toHaveCount(0)
})
