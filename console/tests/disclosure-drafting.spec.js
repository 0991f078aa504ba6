// 冯立 (镇代理会计, keeps 临江村 and 新竹村) works in 临江村: the reports of a quarter (the trial balance balances on
// screen; the .xlsx keeps money as numbers), then the 财务公开 of a closed quarter that has none yet — previewed,
// sent to the supervision committee; 赵德明 (村务监督委员 of 临江村), in his own browser, approves it on the existing
// supervision screen; 冯立 publishes it and prints the PDF.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { loginAs, consoleToken, call, shot, PYTHON } from './harness.js'

// the cell of account `code`, column `col` (1-based) of a report's first sheet: its type and value, as openpyxl reads it
function xlsxCell(file, code, col) {
  const out = execFileSync(PYTHON, ['-c',
    'import json, sys, openpyxl\n' +
    'ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]\n' +
    'row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == sys.argv[2])\n' +
    'c = row[int(sys.argv[3]) - 1]\n' +
    'print(json.dumps({"type": c.data_type, "format": c.number_format, "value": str(c.value), "a2": ws["A2"].value}, ensure_ascii=False))',
    file, code, String(col)], { encoding: 'utf8' })
  return JSON.parse(out)
}

test('冯立 reads a quarter’s reports, drafts 临江村’s disclosure, 赵德明 approves it, 冯立 publishes and prints it', async ({ page, browser }) => {
  await loginAs(page, 'fengli')
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  const villages = await Promise.all(
    [...new Set(me.scopes.flatMap((s) => s.village_ids || []))].map(async (id) => (await call('GET', `/villages/${id}`, { token })).body),
  )
  const lj = villages.find((v) => v.name === '临江村')
  expect(lj, '冯立 keeps 临江村').toBeTruthy()
  const switcher = page.locator('[data-test=village-switcher]')
  await switcher.click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '临江村' }).click()

  // ---- 报表: a quarter; the trial balance balances; the .xlsx keeps money as numbers
  await page.locator('[data-test="menu-/books/reports"]').click()
  await expect(page).toHaveURL(/\/console\/books\/reports$/)
  await page.locator('[data-test=kind-quarter]').click()
  const q = (await call('GET', `/villages/${lj.id}/disclosures/periods?kind=quarter`, { token })).body.items[0].period
  await page.locator('[data-test=period-quarter]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: `第${'一二三四'[Number(q.slice(-1)) - 1]}季度` }).click()
  const year = q.slice(0, 4)
  await page.locator('[data-test=period-year]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: `${year}年` }).click()
  const tb = (await call('GET', `/villages/${lj.id}/reports/trial-balance?period=${q}`, { token })).body
  await expect(page.locator('[data-test=period-label]')).toHaveText(tb.label)
  expect(tb.totals.closing_debit).toBe(tb.totals.closing_credit)
  await expect(page.locator('[data-test=tb-check]')).toContainText('借贷平衡')
  const fmt = (v) => v.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  await expect(page.locator('[data-test=tb-closing-debit]')).toHaveText(fmt(tb.totals.closing_debit))
  await expect(page.locator('[data-test=tb-closing-credit]')).toHaveText(fmt(tb.totals.closing_credit))
  await shot(page, 'reports-trial-balance')
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=download-xlsx]').click()])
  expect(xlsx.suggestedFilename()).toBe(`${lj.code}-${q}-trial-balance.xlsx`)
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'reports-')), xlsx.suggestedFilename())
  await xlsx.saveAs(file)
  const bank = tb.rows.find((r) => r.code === '102')
  const cell = xlsxCell(file, '102', 7) // 期末借方
  expect(cell.type).toBe('n')
  expect(cell.format).toBe('#,##0.00')
  expect(Number(cell.value).toFixed(2)).toBe(bank.closing)
  expect(cell.a2).toContain('临江村')
  expect(cell.a2).toContain('单位：元')
  // the other two tabs show
  await page.locator('[data-test=tab-balance-sheet]').click()
  await expect(page.locator('[data-test=bs-check]')).toContainText('资产总计等于负债和所有者权益总计')
  await page.locator('[data-test=tab-income-statement]').click()
  const inc = (await call('GET', `/villages/${lj.id}/reports/income-statement?period=${q}`, { token })).body
  await expect(page.locator('[data-test=is-profit]')).toHaveText(fmt(inc.profit))
  await shot(page, 'reports-income-statement')

  // ---- 财务公开: a closed quarter with no disclosure yet
  await page.locator('[data-test="menu-/books/disclosures"]').click()
  await expect(page).toHaveURL(/\/console\/books\/disclosures$/)
  const choices = (await call('GET', `/villages/${lj.id}/disclosures/periods?kind=quarter`, { token })).body
  const pick = choices.items.find((c) => c.can_draft && !c.disclosure)
  expect(pick, `a closed quarter of 临江村 without a disclosure: ${JSON.stringify(choices.items)}`).toBeTruthy()
  const published = choices.items.find((c) => c.disclosure?.status === 'published')
  if (published) await expect(page.locator(`[data-test=status-${published.period}]`)).toHaveText('已公开')
  await expect(page.locator(`[data-test=status-${pick.period}]`)).toHaveText('未编制')
  await page.locator(`[data-test=draft-${pick.period}]`).click()
  const preview = page.locator('[data-test=preview]')
  await expect(preview).toBeVisible()
  const expected = (await call('GET', `/villages/${lj.id}/disclosures/preview?period=${pick.period}`, { token })).body
  expect(expected.lines.length).toBeGreaterThan(0)
  await expect(preview.locator('[data-test=preview-income]')).toHaveText(fmt(expected.income_total))
  await expect(preview.locator('[data-test=preview-lines]')).toContainText(expected.lines[0].summary)
  await shot(page, 'disclosure-drafting-preview')
  await preview.locator('[data-test=submit]').click()
  await expect(preview).toBeHidden()
  await expect(page.locator(`[data-test=status-${pick.period}]`)).toHaveText('待审核')
  const drafts = (await call('GET', `/villages/${lj.id}/disclosures/drafts?status=draft&page_size=100`, { token })).body.items
  const mine = drafts.find((d) => d.period === pick.period)
  expect(mine.prepared_by).toBe('冯立')
  await shot(page, 'disclosure-drafting-sent')

  // ---- 赵德明, in his own browser, approves it on the supervision screen
  const zhaoCtx = await browser.newContext()
  const zhao = await zhaoCtx.newPage()
  await loginAs(zhao, 'zhaodeming')
  await zhao.locator('[data-test="menu-/supervision/disclosures"]').click()
  await zhao.locator(`[data-test=open-${mine.id}]`).click()
  await expect(zhao.locator('[data-test=disclosure-title]')).toHaveText(mine.title)
  await zhao.locator('[data-test=approve]').click()
  await zhao.locator('.el-message-box').getByRole('button', { name: '同意公开' }).click()
  await expect(zhao.locator('[data-test=disclosure-status]')).toHaveText('已同意，等会计公布')
  await zhaoCtx.close()

  // ---- 冯立 publishes and prints
  await page.reload()
  await expect(page.locator(`[data-test=status-${pick.period}]`)).toHaveText('已审核')
  await page.locator(`[data-test=publish-${pick.period}]`).click()
  await page.locator('.el-message-box').getByRole('button', { name: '确定公开' }).click()
  await expect(page.locator(`[data-test=status-${pick.period}]`)).toHaveText('已公开')
  expect((await call('GET', `/disclosures/${mine.id}`, { token })).body.seal).toMatch(/^[0-9a-f]{64}$/)
  await shot(page, 'disclosure-drafting-published')
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-test=print-${pick.period}]`).click()])
  expect(pdf.suggestedFilename()).toMatch(/\.pdf$/)
  expect(readFileSync(await pdf.path()).subarray(0, 5).toString()).toBe('%PDF-')
  const res = await fetch(pdf.url())
  expect(res.headers.get('content-type')).toContain('application/pdf')
})
