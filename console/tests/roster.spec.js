// 王建国 (secretary of 临江村) keeps the roster in the console: imports an .xlsx with bad rows (each listed with its
// row number and reason, nothing written, no 确认导入), fixes them, imports; finds the new member by name, adds a
// household and moves a member into it, ends another's membership (moved out) and reads her history; appoints a
// 成员代表 by name. 周海 (新竹村's secretary) sees nothing of 临江村 on these screens, and the API refuses him.
import { test, expect } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loginAs, consoleToken, call, appToken, shot, PYTHON, server } from './harness.js'

const HEADERS = ['成员编号', '户号', '姓名', '身份证号', '与户主关系', '手机号', '集体经济组织成员', '状态', '脱贫户', '监测户', '住址']
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK = '10X98765432'

// a valid ID number (GB 11643 checksum) outside the demo's county (the demo's are 371427…)
function idCard(born, order) {
  const body = `110101${born}${String(order).padStart(3, '0')}`
  const total = [...body].reduce((s, d, i) => s + Number(d) * WEIGHTS[i], 0)
  return body + CHECK[total % 11]
}

// an .xlsx written by openpyxl (the project's venv), the ID and phone columns as text as the template has them
function writeXlsx(rows) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'roster-')), '花名册.xlsx')
  const script = [
    'import json, sys, openpyxl',
    'wb = openpyxl.Workbook(); ws = wb.active; ws.title = "花名册"',
    'headers, rows = json.loads(sys.argv[2])',
    'ws.append(headers)',
    'for r in rows: ws.append([r.get(h) for h in headers])',
    'for row in ws.iter_rows(min_row=2):',
    '    for c in row: c.number_format = "@"',
    'wb.save(sys.argv[1])',
  ].join('\n')
  execFileSync(PYTHON, ['-c', script, file, JSON.stringify([HEADERS, rows])])
  return file
}

// an el-input / el-select's text box, whether the data-test lands on its wrapper or on the input itself
function field(scope, testId) {
  return scope.locator(`[data-test=${testId}] input`).or(scope.locator(`input[data-test=${testId}]`)).first()
}

async function pick(scope, page, testId, text) {
  const input = field(scope, testId)
  await input.click()
  await input.fill(text)
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click()
}

async function choose(scope, page, testId, text) {
  await scope.locator(`[data-test=${testId}]`).first().click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click()
}

test('王建国 imports a roster with bad rows, fixes it, then moves, ends and appoints by name', async ({ page }) => {
  await loginAs(page, 'wangjianguo')
  const token = await consoleToken(page)
  const vid = (await call('GET', '/me', { token })).body.village.id

  const good = [
    { 户号: 'LJ-201', 姓名: '钱文华', 身份证号: idCard('19780312', 131), 与户主关系: '户主', 手机号: '13912345678', 住址: '临江村6组20号' },
    { 户号: 'LJ-201', 姓名: '钱秀梅', 身份证号: idCard('19800506', 242), 与户主关系: '配偶', 住址: '临江村6组20号' },
    { 户号: 'LJ-201', 姓名: '钱小川', 身份证号: idCard('20030921', 351), 与户主关系: '子女', 住址: '临江村6组20号' },
    { 户号: 'LJ-201', 姓名: '钱小禾', 身份证号: idCard('20060101', 462), 与户主关系: '子女', 住址: '临江村6组20号' },
  ]
  // three bad rows (Excel rows 3, 4, 5): no name, a wrong ID number, a relation the roster does not know
  const bad = good.map((r) => ({ ...r }))
  bad[1].姓名 = ''
  bad[2].身份证号 = '11010120030921'
  bad[3].与户主关系 = '表亲'

  await page.locator('[data-test="menu-/roster/import"]').click()
  await expect(page).toHaveURL(/\/console\/roster\/import$/)
  await page.locator('[data-test=roster-file]').setInputFiles(writeXlsx(bad))
  const problem = page.locator('[data-test=import-problem]')
  await expect(problem).toContainText('3 行有误')
  await expect(problem.locator('[data-test=bad-row-3]')).toHaveText('第 3 行')
  const rows = problem.locator('[data-test=bad-rows] .el-table__body tr')
  await expect(rows).toHaveCount(3)
  await expect(rows.nth(0)).toContainText('请填写姓名')
  await expect(rows.nth(1)).toContainText('身份证号')
  await expect(rows.nth(2)).toContainText('与户主关系应为')
  await expect(page.locator('[data-test=confirm-import]')).toHaveCount(0)
  await shot(page, 'roster-import-bad-rows')
  // nothing was written
  expect((await call('GET', `/villages/${vid}/members?q=钱文华`, { token })).body.total).toBe(0)

  // fixed: the check passes, then 确认导入 writes all four
  await page.locator('[data-test=roster-file]').setInputFiles(writeXlsx(good))
  const ok = page.locator('[data-test=dry-run-ok]')
  await expect(ok).toContainText('将新登记 4 人')
  await expect(ok).toContainText('新建 1 户')
  expect((await call('GET', `/villages/${vid}/members?q=钱文华`, { token })).body.total).toBe(0) // still a dry run
  await shot(page, 'roster-import-checked')
  await ok.locator('[data-test=confirm-import]').click()
  await expect(page.locator('[data-test=import-done]')).toContainText('新登记 4 人')
  expect((await call('GET', `/villages/${vid}/members?q=LJ-201`, { token })).body.total).toBe(4)

  // 户籍与成员: find the new member by name; the ID number shows only its last 4, the phone masked
  await page.locator('[data-test="menu-/roster/members"]').click()
  await field(page, 'roster-search').fill('钱')
  await page.locator('[data-test=roster-search-button]').click()
  const table = page.locator('[data-test=members-table]')
  await expect(table.locator('[data-test=member-钱文华]')).toBeVisible()
  await expect(table).toContainText('139****5678')
  await expect(table).not.toContainText('13912345678')
  await expect(table.locator('[data-test=id-钱文华]')).toHaveText(good[0].身份证号.slice(-4))
  await expect(table).not.toContainText(good[0].身份证号)
  await shot(page, 'roster-members')

  // a new household, and 钱小川 moves into it as its head
  await page.locator('[data-test=add-household]').click()
  const hd = page.locator('[data-test=household-dialog]')
  await field(hd, 'household-number').fill('LJ-202')
  await hd.locator('[data-test=household-submit]').click()
  await expect(hd).toBeHidden()
  await field(page, 'roster-search').fill('钱')
  await page.locator('[data-test=roster-search-button]').click()
  await table.locator('[data-test=move-钱小川]').click()
  const md = page.locator('[data-test=move-dialog]')
  await pick(md, page, 'household-picker', 'LJ-202')
  await choose(md, page, 'move-relation', '户主（当这一户的户主）')
  await shot(page, 'roster-move', { fullPage: false })
  await md.locator('[data-test=move-submit]').click()
  await expect(md).toBeHidden()
  await expect(table.locator('[data-test=hh-钱小川]')).toHaveText('LJ-202')
  const moved = (await call('GET', `/villages/${vid}/members?q=钱小川`, { token })).body.items[0]
  expect([moved.household_number, moved.is_head, moved.relation]).toEqual(['LJ-202', true, '户主'])

  // 钱秀梅's membership ends: moved out, with a note; her history shows it
  await table.locator('[data-test=end-钱秀梅]').click()
  const ed = page.locator('[data-test=end-dialog]')
  await ed.locator('[data-test=end-reason-moved_out]').click()
  await field(ed, 'end-note').fill('户口迁往县城')
  await ed.locator('[data-test=end-submit]').click()
  await expect(ed).toBeHidden()
  await page.locator('[data-test=roster-status]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '全部（含注销）' }).click()
  await expect(table.locator('[data-test=status-钱秀梅]')).toHaveText('迁出')
  await table.locator('[data-test=history-钱秀梅]').click()
  const hist = page.locator('[data-test=history-drawer]')
  await expect(hist.locator('[data-test=history-joined]')).toBeVisible()
  await expect(hist.locator('[data-test=history-ended]')).toContainText('注销成员（迁出）')
  await expect(hist.locator('[data-test=history-ended]')).toContainText('户口迁往县城')
  await expect(hist.locator('[data-test=history-ended]')).toContainText('王建国')
  await shot(page, 'roster-history', { fullPage: false })
  await hist.locator('.el-drawer__close-btn').click()
  const ended = (await call('GET', `/villages/${vid}/members?q=钱秀梅&status=moved_out`, { token })).body.items[0]
  expect(ended.status).toBe('moved_out')

  // 职务任免: 钱文华 becomes a 成员代表, picked by name
  await page.locator('[data-test="menu-/roster/roles"]').click()
  await expect(page.locator('[data-test=roles-table]')).toBeVisible()
  await expect(page.locator('[data-test=unbind-link]')).toBeVisible()
  await page.locator('[data-test=appoint]').click()
  const ad = page.locator('[data-test=appoint-dialog]')
  await ad.locator('[data-test=appoint-role-member_representative]').click()
  await pick(ad, page, 'member-picker', '钱文华')
  await shot(page, 'roster-appoint', { fullPage: false })
  await ad.locator('[data-test=appoint-submit]').click()
  await expect(ad).toBeHidden()
  await page.locator('[data-test=filter-member_representative]').click()
  await expect(page.locator('[data-test=role-钱文华-member_representative]')).toBeVisible()
  await shot(page, 'roster-roles')
  const reps = (await call('GET', `/villages/${vid}/roles?current=true&role=member_representative&page_size=100`, { token })).body
  expect(reps.items.some((r) => r.name === '钱文华' && r.current)).toBe(true)
  expect(reps.total).toBeGreaterThan(20)
})

test('周海 (新竹村) sees nothing of 临江村 on the roster screens, and the API refuses him', async ({ page }) => {
  const lj = (await call('GET', '/me', { token: await appToken('wangjianguo') })).body.village.id
  await loginAs(page, 'zhouhai')
  const token = await consoleToken(page)
  const xz = (await call('GET', '/me', { token })).body.village.id
  expect(xz).not.toBe(lj)

  await page.locator('[data-test="menu-/roster/members"]').click()
  const table = page.locator('[data-test=members-table]')
  await expect(table.locator('[data-test=member-周海]')).toBeVisible()
  await field(page, 'roster-search').fill('王建国')
  await page.locator('[data-test=roster-search-button]').click()
  await expect(page.locator('[data-test=page-empty]')).toContainText('没有找到')
  await page.locator('[data-test="menu-/roster/roles"]').click()
  await expect(page.locator('[data-test=roles-table]')).toBeVisible()
  await expect(page.locator('[data-test=roles-table]')).not.toContainText('王建国')
  await expect(page.locator('[data-test=roles-table]')).not.toContainText('陈桂兰')

  for (const p of [`/villages/${lj}/members`, `/villages/${lj}/households`, `/villages/${lj}/roles`,
    `/villages/${lj}/roster.xlsx`, `/villages/${lj}/roster/template.xlsx`]) {
    expect((await call('GET', p, { token })).status, p).toBe(404)
  }
  const someone = (await call('GET', `/villages/${lj}/members?q=张大山`, { token: await appToken('wangjianguo') })).body.items[0]
  expect((await call('GET', `/members/${someone.id}/history`, { token })).status).toBe(404)
  expect((await call('POST', `/members/${someone.id}/end`, { token, body: { reason: 'other', on: '2026-01-01' } })).status).toBe(404)
  expect((await call('POST', `/members/${someone.id}/move`, { token, body: { household_number: 'XZ-001', relation: '子女' } })).status).toBe(404)
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array([80, 75, 3, 4])]), 'x.xlsx')
  const res = await fetch(`${server().api}/villages/${lj}/roster/import`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form,
  })
  expect(res.status).toBe(404)
  await shot(page, 'roster-other-village')
})

test('李秀英 (会计) reads the roster and the appointments but changes nothing', async ({ page }) => {
  await loginAs(page, 'lixiuying')
  await page.locator('[data-test="menu-/roster/members"]').click()
  const table = page.locator('[data-test=members-table]')
  await expect(table.locator('[data-test=member-张大山]')).toBeVisible()
  await expect(page.getByText('您可以查看花名册')).toBeVisible()
  await expect(page.locator('[data-test=add-member]')).toHaveCount(0)
  await expect(table.locator('[data-test=move-张大山]')).toHaveCount(0)
  await table.locator('[data-test=history-张大山]').click()
  await expect(page.locator('[data-test=history-drawer] [data-test=history-joined]')).toBeVisible()
  await page.locator('[data-test=history-drawer] .el-drawer__close-btn').click()
  await expect(page.locator('[data-test="menu-/roster/import"]')).toHaveCount(0)
  await page.locator('[data-test="menu-/roster/roles"]').click()
  await expect(page.locator('[data-test=roles-table]')).toBeVisible()
  await expect(page.locator('[data-test=appoint]')).toHaveCount(0)
  await shot(page, 'roster-roles-read-only')
})
