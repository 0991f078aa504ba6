// 王建国 (secretary of 临江村) runs a public-benefit posting in the console from the posting to the first month's pay:
// posts it (two places) with its eligibility settings, villagers apply from their phones (the API), he checks a
// villager who may not apply (孙有福, too old) and sees why, closes applications early with a reason, seals the list,
// announces the seed and draws, re-runs the draw (复核: 一致), answers an objection during the 公示 and is told he may
// hire only when the 公示 is over. For the village's running 巡河护岸员 hires he records this month's attendance and
// pay, pays the month and downloads the pay sheet. Then the days pass: the spec runs its OWN API server whose clock
// reads an offset from a file (scripts/serve_for_tests.py, TEST_CLOCK_FILE) and moves the browser's clock with it
// (page.clock), so moving time disturbs no other spec. The day after the 公示 he logs in again (the session has
// expired), confirms the hires with a start date on the first of the next month; at that month's end he records
// both hires' attendance (one with a deduction), pays the month, and the pay sheet's total is what he entered.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { startServer, loginAs, consoleUrl, consoleToken, call, appToken, shot, readXlsx, money } from './harness.js'

// this spec's own server: its clock is real UTC now + the seconds written in CLOCK_FILE
const CLOCK_FILE = path.join(mkdtempSync(path.join(tmpdir(), 'jobs-clock-')), 'offset')
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
const app = (key) => appToken(key, srv)
const login = (page, key) => loginAs(page, key, { srv })

// 2026-12-05 → the moment 临江村 (UTC+8) reaches that day at hh:00
function shanghai(day, hh) {
  return new Date(`${day}T${String(hh).padStart(2, '0')}:00:00+08:00`)
}
function addDays(day, n) {
  const t = new Date(`${day}T00:00:00Z`)
  t.setUTCDate(t.getUTCDate() + n)
  return t.toISOString().slice(0, 10)
}
function firstOfNextMonth(day) {
  const t = new Date(`${day.slice(0, 7)}-01T00:00:00Z`)
  t.setUTCMonth(t.getUTCMonth() + 1)
  return t.toISOString().slice(0, 10)
}
function lastOfMonth(day) {
  return addDays(firstOfNextMonth(day), -1)
}

// Both clocks to `when`: the server's (the offset file, re-read on change) and the page's (frozen at `when`).
async function moveClock(page, when) {
  writeFileSync(CLOCK_FILE, String((when.getTime() - Date.now()) / 1000))
  await page.clock.setFixedTime(when)
}

// Back at the console after the days passed: the page at `to`; when the session ran out meanwhile, the console
// says so on the log-in page, and he logs in again.
async function comeBack(page, when, to) {
  const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('sunshine-console-session') || '{}'))
  await page.goto(url(to))
  if (!saved.expiresAt || new Date(saved.expiresAt) <= when) {
    expect((await api('GET', '/me', { token: saved.token })).status).toBe(401) // the server's clock moved too
    await expect(page).toHaveURL(/\/login/)
    await expect(page.locator('[data-test=login-notice]')).toBeVisible()
    await login(page, 'wangjianguo')
    await page.goto(url(to))
  }
  return consoleToken(page)
}

function numberInput(scope, name) {
  return scope.locator(`[data-test=${name}] input`).or(scope.locator(`input[data-test=${name}]`)).first()
}

async function pickMember(scope, page, name) {
  const input = scope.locator('[data-test=member-picker] input').or(scope.locator('input[data-test=member-picker]')).first()
  await input.click()
  await input.fill(name)
  await page.locator('.el-select-dropdown__item:visible', { hasText: name }).first().click()
}

test('王建国 posts a job and runs it to the first month\'s pay (the 公示 passes on a movable clock)', async ({ page }) => {
  test.setTimeout(240_000)
  page.setDefaultTimeout(30_000)
  await login(page, 'wangjianguo')
  await page.goto(url('/village/jobs'))
  await expect(page.locator('.page-title')).toContainText('公益岗位')
  let token = await consoleToken(page)
  const vid = (await api('GET', '/me', { token })).body.village.id
  const title = `护林员 ${Date.now() % 100000}`

  // a new posting: a field's error at the field, then published with its settings
  await page.locator('[data-test=new-posting]').click()
  const form = page.locator('.el-dialog').filter({ hasText: '发布新的公益岗位' })
  await expect(form).toBeVisible()
  await form.locator('[data-test=job-title]').fill(title)
  await numberInput(form, 'job-positions').fill('2')
  await form.locator('[data-test=job-wage]').fill('5OO')
  await form.locator('[data-test=job-publish]').click()
  await expect(form.locator('.el-form-item__error')).toContainText('金额')
  await form.locator('[data-test=job-wage]').fill('500.00')
  await form.locator('[data-test=job-duties]').fill('负责村北山林日常巡护，防火、防盗伐，每月出勤不少于20天。')
  await shot(page, 'jobs-new-posting', { fullPage: false })
  await form.locator('[data-test=job-publish]').click()
  await expect(form).toBeHidden()
  await expect(page).toHaveURL(/\/village\/jobs\/\d+$/)
  const pid = Number(page.url().split('/').pop())
  await expect(page.locator('[data-test=posting-title]')).toContainText(title)
  await expect(page.locator('[data-test=rules-text]')).toContainText('18 到 60 岁')
  await expect(page.locator('[data-test=rules-text]')).toContainText('村干部和他们的家里人不能报名')

  // villagers apply from their phones; the secretary's own household may not (cadre family)
  for (const key of ['zhangdashan', 'liuxiaomei', 'chenguilan']) {
    const r = await api('POST', `/job-postings/${pid}/applications`, { token: await app(key), body: { note: null } })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
  }
  const own = await api('POST', `/job-postings/${pid}/applications`, { token: await app('wangjianguo'), body: {} })
  expect(own.status).toBe(403)
  expect(own.body.error.message).toBe('村干部及其家庭成员不能申请公益岗位')
  await page.reload()
  await expect(page.locator('[data-test=applicant-table]')).toContainText('张大山')
  await expect(page.locator('[data-test=why-刘小梅]')).toContainText('脱贫户，优先')
  await expect(page.locator('[data-test=why-张大山]')).toContainText('（要求 18–60 岁）')
  await expect(page.locator('[data-test=applicant-table]')).toContainText('****')

  // 孙有福 (73) cannot apply: the reason in plain words
  await page.locator('[data-test=check-open]').click()
  const check = page.locator('.el-dialog').filter({ hasText: '核对村民能否报名' })
  await pickMember(check, page, '孙有福')
  await check.locator('[data-test=check-run]').click()
  await expect(check.locator('[data-test=check-result]')).toContainText('孙有福 不能报名：该岗位要求年龄 18 到 60 岁，本人现在 73 岁')
  await shot(page, 'jobs-check-villager', { fullPage: false })
  await check.locator('.el-dialog__headerbtn').click()
  await shot(page, 'jobs-applicants')

  // close applications early, with a reason; then seal the list
  await page.locator('[data-test=close-open]').click()
  const close = page.locator('.el-dialog').filter({ hasText: '提前截止报名' })
  await close.locator('[data-test=close-confirm]').click()
  await expect(close.locator('.el-form-item__error')).toBeVisible()
  await close.locator('[data-test=close-reason]').fill('报名人数已满足需要，经村两委研究提前截止')
  await close.locator('[data-test=close-confirm]').click()
  await expect(close).toBeHidden()
  await expect(page.locator('[data-test=open-hint]')).toContainText('报名已经截止')
  const late = await api('POST', `/job-postings/${pid}/applications`, { token: await app('zhaodeming'), body: {} })
  expect(late.status).toBe(409)
  await page.locator('[data-test=seal]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '封存' }).click()
  await expect(page.locator('[data-test=list-hash]')).toHaveText(/^[0-9a-f]{64}$/)

  // the seed, announced after the seal, and the draw
  await page.locator('[data-test=seed-input]').fill('07-12-19-26-33')
  await page.locator('[data-test=seed-source-input]').fill('村民代表会议现场摇号，村务监督委员会在场见证')
  await page.locator('[data-test=draw]').click()
  await expect(page.locator('[data-test=seed]')).toHaveText('07-12-19-26-33')
  await expect(page.locator('[data-test=posting-status]')).toHaveText('公示中')
  await expect(page.locator('[data-test=status-刘小梅]')).toHaveText('拟聘用（公示中）') // 脱贫户 first

  // 复核: the draw re-run from the sealed list and the seed
  await page.locator('[data-test=recheck]').click()
  await expect(page.locator('[data-test=recheck-result]')).toContainText('一致')
  const c = (await api('GET', `/job-postings/${pid}/draw/check`, { token: await app('zhangdashan') })).body
  expect(c.matches).toBe(true)
  expect(c.recomputed).toEqual(c.recorded)
  await shot(page, 'jobs-draw')

  // an objection during the 公示, answered
  const obj = await api('POST', `/job-postings/${pid}/objections`, {
    token: await app('zhangdashan'),
    body: { text: '为什么刘小梅排在第一个？是不是内定的？' },
  })
  expect(obj.status, JSON.stringify(obj.body)).toBe(201)
  await page.reload()
  await expect(page.locator(`[data-test=objection-${obj.body.id}]`)).toContainText('是不是内定的')
  await page.locator(`[data-test=answer-input-${obj.body.id}]`).fill('刘小梅家是脱贫户，按岗位条件脱贫户优先，排在前面；其余的人按公开摇号的种子排序，任何人都可以复核。')
  await page.locator(`[data-test=answer-send-${obj.body.id}]`).click()
  await expect(page.locator(`[data-test=answer-${obj.body.id}]`)).toContainText('脱贫户优先')

  // hiring waits for the 公示 to end: the console says until when
  const posting = (await api('GET', `/job-postings/${pid}`, { token })).body
  await expect(page.locator('[data-test=hire-wait]')).toContainText(`公示期到 ${posting.publicity_until} 结束`)
  await expect(page.locator('[data-test=hire]')).toBeDisabled()
  const early = await api('POST', `/job-postings/${pid}/hires`, { token, body: { start_on: posting.publicity_until } })
  expect(early.status).toBe(409)
  expect(early.body.error.message).toBe(`公示期到 ${posting.publicity_until} 结束，期满后才能确认聘用`)
  await shot(page, 'jobs-publicity')

  // this month's attendance and pay of the village's running hires
  await page.goto(url('/village/jobs'))
  await page.locator('.el-tabs__item', { hasText: '考勤和工资' }).click()
  const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7) // this month in 临江村
  const sheet = (await api('GET', `/villages/${vid}/job-pay?month=${month}`, { token })).body
  const row = sheet.items.find((i) => !i.recorded)
  expect(row, `an unrecorded hire in ${month}`).toBeTruthy()
  const tooMany = await api('POST', `/job-hires/${row.hire_id}/pay`, { token, body: { month, days_worked: row.days_in_term + 1 } })
  expect(tooMany.status).toBe(422)
  expect(tooMany.body.error.message).toContain('出勤天数') // beyond the month's days in the term (or 31)
  await page.locator(`[data-test=record-${row.hire_id}]`).click()
  const rec = page.locator('.el-dialog').filter({ hasText: `登记 ${row.name}` })
  await numberInput(rec, 'record-days').fill(String(row.days_in_term + 5))
  await numberInput(rec, 'record-days').blur()
  await expect(numberInput(rec, 'record-days')).toHaveValue(String(row.days_in_term)) // the form stops at the term's days
  await numberInput(rec, 'record-days').fill('20')
  await rec.locator('[data-test=record-amount]').fill('500.00')
  await shot(page, 'jobs-attendance', { fullPage: false })
  await rec.locator('[data-test=record-save]').click()
  await expect(rec).toBeHidden()
  await expect(page.locator(`[data-test=days-${row.hire_id}]`)).toHaveText('20')
  await expect(page.locator(`[data-test=amount-${row.hire_id}]`)).toHaveText('500.00')

  await page.locator('[data-test=pay-open]').click()
  const pay = page.locator('.el-dialog').filter({ hasText: '公益岗位工资' })
  await pay.locator('[data-test=pay-confirm]').click()
  await expect(pay).toBeHidden()
  await expect(page.locator(`[data-test=paid-${row.hire_id}]`)).toContainText('银行')
  const paid = (await api('GET', `/villages/${vid}/job-pay?month=${month}`, { token })).body
  const mine = paid.items.find((i) => i.hire_id === row.hire_id)
  expect(mine.paid_on).toBeTruthy()
  expect(mine.amount).toBe('500.00')
  await shot(page, 'jobs-pay')

  // the pay sheet: the person and the amount as recorded
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=pay-sheet]').click()])
  const saved = path.join(mkdtempSync(path.join(tmpdir(), 'jobs-pay-')), file.suggestedFilename())
  await file.saveAs(saved)
  const rows = readXlsx(saved)
  const line = rows.find((r) => r[1] === row.name)
  expect(line, `${row.name} on the pay sheet`).toBeTruthy()
  expect(money(line[5])).toBe('500.00')

  // ---- the 公示 passes: the day after it, 10:00 in 临江村; the session of days ago has run out
  const hireDay = addDays(posting.publicity_until, 1)
  const hireAt = shanghai(hireDay, 10)
  await moveClock(page, hireAt)
  token = await comeBack(page, hireAt, `/village/jobs/${pid}`)
  await expect(page.locator('[data-test=posting-status]')).toHaveText('公示中')
  await expect(page.locator('[data-test=hire-wait]')).toHaveCount(0)
  await expect(page.locator('[data-test=hire-ready]')).toContainText(`公示已于 ${posting.publicity_until} 结束`)
  await expect(page.locator('[data-test=hire]')).toBeEnabled()
  // a start date before today is refused at the field
  const startOn = firstOfNextMonth(hireDay) // the agreements start on the first of next month
  const startInput = page.locator('[data-test=publicity-card] .el-date-editor input').first()
  await startInput.fill(addDays(hireDay, -1))
  await startInput.press('Enter')
  await page.locator('[data-test=hire]').click()
  await expect(page.locator('[data-test=publicity-card] .el-form-item__error')).toHaveText('聘用开始日期不能早于今天')
  await expect(page.locator('[data-test=posting-status]')).toHaveText('公示中')
  await startInput.fill(startOn)
  await startInput.press('Enter')
  await expect(startInput).toHaveValue(startOn)
  await page.locator('[data-test=hire]').click()
  await expect(page.locator('[data-test=posting-status]')).toHaveText('已聘用')
  const hires = (await api('GET', `/job-postings/${pid}/hires`, { token })).body.items
  expect(hires.map((h) => h.name)).toContain('刘小梅')
  expect(hires).toHaveLength(2)
  for (const h of hires) {
    expect(h.start_on).toBe(startOn)
    await expect(page.locator(`[data-test=hire-term-${h.id}]`)).toHaveText(`${startOn} 至 ${h.end_on}`)
    await expect(page.locator(`[data-test=hire-name-${h.id}]`)).toHaveText(h.name)
  }
  await expect(page.locator('[data-test=publicity-done]')).toContainText(`公示已于 ${posting.publicity_until} 结束`)
  await expect(page.locator('.el-message')).toHaveCount(0) // the toasts gone before the picture
  await shot(page, 'jobs-hired')

  // ---- the first month's end: 16:00 on its last day, attendance and pay of the two new hires
  const firstMonth = startOn.slice(0, 7)
  const payDay = lastOfMonth(startOn)
  const payAt = shanghai(payDay, 16)
  await moveClock(page, payAt)
  token = await comeBack(page, payAt, '/village/jobs')
  await page.locator('.el-tabs__item', { hasText: '考勤和工资' }).click()
  await expect(page.locator('.page-toolbar .el-date-editor input').first()).toHaveValue(`${firstMonth.slice(0, 4)}年${firstMonth.slice(5)}月`)
  const entered = [
    { days: 22, amount: '500.00', note: '' },
    { days: 20, amount: '450.00', note: '事假2天，按考核办法扣发50.00元' },
  ]
  const first = (await api('GET', `/villages/${vid}/job-pay?month=${firstMonth}`, { token })).body
  const ours = first.items.filter((i) => i.posting_id === pid)
  expect(ours).toHaveLength(2)
  for (const [i, r] of ours.entries()) {
    expect(r.recorded).toBe(false)
    expect(r.days_in_term).toBe(Number(payDay.slice(8))) // the whole month is within the term
    await page.locator(`[data-test=record-${r.hire_id}]`).click()
    const dlg = page.locator('.el-dialog').filter({ hasText: `登记 ${r.name}` })
    await expect(dlg.locator('[data-test=record-amount]')).toHaveValue('500.00') // the wage by default
    await numberInput(dlg, 'record-days').fill(String(entered[i].days))
    await numberInput(dlg, 'record-days').blur()
    await dlg.locator('[data-test=record-amount]').fill(entered[i].amount)
    if (entered[i].note) await dlg.getByPlaceholder('病假4天').fill(entered[i].note)
    await dlg.locator('[data-test=record-save]').click()
    await expect(dlg).toBeHidden()
    await expect(page.locator(`[data-test=days-${r.hire_id}]`)).toHaveText(String(entered[i].days))
    await expect(page.locator(`[data-test=amount-${r.hire_id}]`)).toHaveText(entered[i].amount)
  }
  const enteredTotal = money(entered.reduce((t, e) => t + Number(e.amount), 0)) // 950.00
  await page.locator('[data-test=pay-open]').click()
  const payFirst = page.locator('.el-dialog').filter({ hasText: '公益岗位工资' })
  await expect(payFirst).toContainText(enteredTotal)
  await expect(payFirst.locator('.el-date-editor input').first()).toHaveValue(payDay)
  await payFirst.locator('[data-test=pay-confirm]').click()
  await expect(payFirst).toBeHidden()
  for (const r of ours) await expect(page.locator(`[data-test=paid-${r.hire_id}]`)).toContainText(`${payDay}（银行）`)
  const after = (await api('GET', `/villages/${vid}/job-pay?month=${firstMonth}`, { token })).body
  for (const r of after.items.filter((i) => i.posting_id === pid)) expect(r.paid_on).toBe(payDay)
  expect(after.total).toBe(enteredTotal)
  await expect(page.locator('.el-message')).toHaveCount(0)
  await shot(page, 'jobs-first-pay')

  // the first month's pay sheet: each hire's amount as entered, and the total
  const [firstFile] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=pay-sheet]').click()])
  const firstSaved = path.join(mkdtempSync(path.join(tmpdir(), 'jobs-pay-')), firstFile.suggestedFilename())
  await firstFile.saveAs(firstSaved)
  const firstRows = readXlsx(firstSaved)
  for (const [i, r] of ours.entries()) {
    const l = firstRows.find((x) => x[1] === r.name)
    expect(l, `${r.name} on the pay sheet`).toBeTruthy()
    expect(money(l[5])).toBe(entered[i].amount)
  }
  const totalLine = firstRows.find((x) => x[0] === '合计')
  expect(totalLine, 'the pay sheet has its total').toBeTruthy()
  expect(money(totalLine[5])).toBe(enteredTotal)

  // 新竹村's secretary sees nothing of the posting
  const zhou = await app('zhouhai')
  expect((await api('GET', `/job-postings/${pid}/applicants`, { token: zhou })).status).toBe(404)
  expect((await api('GET', `/villages/${vid}/job-pay?month=${month}`, { token: zhou })).status).toBe(404)
})
