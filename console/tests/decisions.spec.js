// 四议两公开 in the console: 王建国 (secretary of 临江村) proposes a NEW decision and takes it through all six stages —
// 提议 and 商议 recorded with attendees ticked by name from the 两委 list, 审议 where a short meeting shows
// “未达到法定人数” before anything is saved, then 决议 by a real vote: the representatives cast their ballots from
// their phones (the API, as the mini-program does), he watches who has voted (never how), a second vote on the same
// stage is refused in Chinese, he closes the vote early and reads the result in words; then 决议公开 opens, a
// villager's objection is recorded and answered, and completing it early is refused with the date it ends.
// Then the days pass: this test runs its OWN API server whose clock reads an offset from a file
// (scripts/serve_for_tests.py, TEST_CLOCK_FILE) and moves the browser's clock with it (page.clock), so moving time
// disturbs no other spec. On the day the 公示 ends he logs in again (the session of days ago has run out), completes
// 决议公开, records the 实施结果 (money spent, 验收), publishes it, and when that 公示 is over completes it too: the
// decision is 已完成 and its record shows all six stages done.
import { test, expect } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { startServer, loginAs, consoleUrl, consoleToken, call, appToken, shot, PYTHON, ROOT } from './harness.js'

const STAGES = ['提议', '商议', '审议', '决议', '决议公开', '实施结果公开']

// the six-stage test's own server: its clock is real UTC now + the seconds written in CLOCK_FILE
const CLOCK_FILE = path.join(mkdtempSync(path.join(tmpdir(), 'decisions-clock-')), 'offset')
let srv = null
const url = (p) => consoleUrl(p, srv)
const api = (method, p, opts = {}) => call(method, p, { ...opts, srv })
const login = (page, key) => loginAs(page, key, { srv })

// 2026-12-05 → the moment 临江村 (UTC+8) reaches that day at hh:00
function shanghai(day, hh) {
  return new Date(`${day}T${String(hh).padStart(2, '0')}:00:00+08:00`)
}

// Both clocks to `when`: the server's (the offset file, re-read on change) and the page's (frozen at `when`).
async function moveClock(page, when) {
  writeFileSync(CLOCK_FILE, String((when.getTime() - Date.now()) / 1000))
  await page.clock.setFixedTime(when)
}

// Back at the console after the days passed, at page `to`: the session of days ago has run out (the server's clock
// moved too), so the page sends him to the log-in page with the reason; he logs in again and is back at `to`.
async function comeBack(page, to, when) {
  const saved = await page.evaluate(() => JSON.parse(sessionStorage.getItem('sunshine-console-session') || '{}'))
  await page.goto(url(to))
  if (!saved.expiresAt || new Date(saved.expiresAt) <= when) {
    expect((await api('GET', '/me', { token: saved.token })).status).toBe(401)
    await page.waitForURL((u) => u.pathname.endsWith('/login'), { timeout: 15_000 })
    await expect(page.locator('[data-test=login-notice]')).toBeVisible()
    await page.locator('[data-test=demo-wangjianguo]').click()
    await page.waitForURL((u) => u.pathname.endsWith(to), { timeout: 15_000 })
  }
  await expect(page.locator('[data-test=who]')).toBeVisible()
  return consoleToken(page)
}

// The demo's representatives and committee members of 临江村 (backend/demo/registry.py's deterministic roster
// plan): name and the last 6 of the ID number, which is what the mini-program's bind asks for.
function representatives() {
  const out = execFileSync(PYTHON, ['-c', [
    'import json',
    'from backend.demo.registry import roster_plan',
    'print(json.dumps([{"name": m.name, "last6": m.id_card[-6:], "key": m.key, "roles": m.roles}',
    '    for h in roster_plan() if h.village == "LJ01" for m in h.members',
    '    if m.status == "active" and set(m.roles) & {"representative", "committee"}], ensure_ascii=False))',
  ].join('\n')], { cwd: ROOT, encoding: 'utf8' })
  return JSON.parse(out)
}

// A phone for each of them: 陈桂兰 is bound by the demo; the others bind now on a new "phone" (a fresh openid).
async function phones(people) {
  const tag = Date.now().toString(36)
  const tokens = []
  for (const [i, p] of people.entries()) {
    if (p.key) {
      tokens.push({ name: p.name, token: await appToken(p.key, srv) })
      continue
    }
    const signin = await api('POST', '/auth/wechat-login', { body: { code: `demo-dec${tag}${i}` } })
    expect(signin.status, JSON.stringify(signin.body)).toBe(200)
    const bound = await api('POST', '/auth/bind', {
      body: { bind_ticket: signin.body.bind_ticket, village_code: 'LJ01', name: p.name, id_card_last6: p.last6 },
    })
    expect(bound.status, `${p.name}: ${JSON.stringify(bound.body)}`).toBe(200)
    tokens.push({ name: p.name, token: bound.body.token })
  }
  return tokens
}

// an Element Plus input's own <input>/<textarea> (el-input puts data-test on it; el-input-number on its wrapper)
function field(scope, name) {
  return scope
    .locator(`input[data-test=${name}], textarea[data-test=${name}], [data-test=${name}] input, [data-test=${name}] textarea`)
    .first()
}

// 全选, then wait for the preview to say the quorum is met (the green alert)
async function tickAll(page) {
  await page.locator('[data-test=roster-all]').click()
  await expect(page.locator('[data-test=preview-words].el-alert--success')).toContainText('，达到法定人数')
}

async function saveMeeting(page, stage) {
  await page.locator('[data-test=save-meeting]').click()
  await expect(page.locator(`[data-test="step-${stage}"]`)).toContainText('已通过')
}

test.describe('on a server whose clock can move', () => {
  test.beforeAll(async () => {
    test.setTimeout(180_000)
    writeFileSync(CLOCK_FILE, '')
    srv = await startServer({ TEST_CLOCK_FILE: CLOCK_FILE })
  })
  test.afterAll(async () => {
    await srv?.stop()
  })

test('王建国 takes a new decision through all six stages, with a real vote at 决议 and both 公示 run to their end', async ({ page }) => {
  test.setTimeout(300_000)
  await login(page, 'wangjianguo')
  await page.locator('[data-test="menu-/decisions"]').click()
  await expect(page.locator('h2', { hasText: '四议两公开' })).toBeVisible()
  await shot(page, 'decisions-list')

  // 新建议题
  const title = `村北排水沟修缮 ${Date.now().toString(36).slice(-4)}`
  await page.locator('[data-test=new-decision]').click()
  const dialog = page.locator('[data-test=new-decision-dialog]')
  await field(dialog, 'decision-title').fill(title)
  await field(dialog, 'decision-amount').fill('86000')
  await expect(dialog.locator('[data-test=body-note]')).toContainText('村民代表三分之二以上到会')
  await shot(page, 'decisions-new', { fullPage: false })
  await dialog.locator('[data-test=create-decision]').click()
  await expect(page.locator('[data-test=decision-title]')).toHaveText(title)
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：提议')

  // 提议, 商议: the 两委 meet; everyone ticked by name
  await tickAll(page)
  await field(page, 'summary').fill('提议修缮村北排水沟')
  await page.locator('[data-test=add-attachment]').click()
  await field(page, 'attachment-title-0').fill('签到表')
  await shot(page, 'decisions-meeting')
  await saveMeeting(page, '提议')
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：商议')
  await tickAll(page)
  await saveMeeting(page, '商议')

  // 审议 (党员大会): two people are not a quorum — shown before saving, and saving as 通过 is held back
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：审议')
  const boxes = page.locator('[data-test=roster] .el-checkbox')
  await boxes.nth(0).click()
  await boxes.nth(1).click()
  await expect(page.locator('[data-test=preview-words]')).toContainText('未达到法定人数')
  await expect(page.locator('[data-test=preview-present]')).toHaveText('2')
  await expect(page.locator('[data-test=save-blocked]')).toContainText('到会人数不足，不能登记为通过')
  await expect(page.locator('[data-test=save-meeting]')).toBeDisabled()
  await shot(page, 'decisions-quorum-not-met')
  await page.locator('[data-test=roster-all]').click()
  await expect(page.locator('[data-test=preview-words]')).toContainText('，达到法定人数')
  const present = await page.locator('[data-test=preview-present]').innerText()
  await field(page, 'count-agree').fill(present)
  await field(page, 'count-agree').blur()
  await expect(page.locator('[data-test=preview-words]')).toContainText('，通过')
  await saveMeeting(page, '审议')

  // 决议 by a vote of the 村民代表会议
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：决议')
  await page.locator('[data-test=stage-mode]').getByText('发起表决').click()
  await page.locator('[data-test=open-vote]').click()
  const vd = page.locator('[data-test=open-vote-dialog]')
  await expect(vd.locator('[data-test=vote-body]')).toContainText('村民代表会议')
  await vd.locator('[data-test=confirm-open-vote]').click()
  const panel = page.locator('[data-test^=vote-]').filter({ has: page.locator('[data-test=turnout-cast]') })
  await expect(panel.locator('[data-test=turnout-cast]')).toHaveText('0')
  const eligible = Number(await panel.locator('[data-test=turnout-eligible]').innerText())
  const voteId = Number((await panel.getAttribute('data-test')).replace('vote-', ''))

  // the representatives vote from their phones, in Chinese words or the codes
  const people = representatives()
  const voters = await phones(people.slice(0, Math.ceil((eligible * 2) / 3) + 1))
  const choices = ['同意', 'agree', '同意', '反对', '同意', '弃权', 'agree', '同意', '同意', '同意', '同意', '同意']
  for (const [i, v] of voters.entries()) {
    const r = await api('POST', `/votes/${voteId}/ballots`, { token: v.token, body: { choice: choices[i % choices.length] } })
    expect(r.status, `${v.name}: ${JSON.stringify(r.body)}`).toBe(201)
  }
  const wrong = await api('POST', `/votes/${voteId}/ballots`, { token: voters[0].token, body: { choice: '赞成' } })
  expect(wrong.status).toBe(422)
  expect(wrong.body.error.details.fields.choice[0]).toBe('应为以下之一：同意、反对、弃权（也可写 agree、oppose、abstain）')

  await panel.locator('[data-test=turnout-refresh]').click()
  await expect(panel.locator('[data-test=turnout-cast]')).toHaveText(String(voters.length))
  const voted = panel.locator('[data-test=turnout-voted]')
  await expect(voted).toContainText(voters[0].name)
  await expect(voted).toContainText('手机投票')
  await expect(voted).not.toContainText('同意')
  await expect(voted).not.toContainText('反对')
  await shot(page, 'decisions-turnout')

  // a second vote on the same stage is refused, in Chinese
  await page.locator('[data-test=open-vote]').click()
  await vd.locator('[data-test=confirm-open-vote]').click()
  await expect(vd.locator('[data-test=open-vote-error]')).toContainText('该阶段已有一场表决正在进行')
  await shot(page, 'decisions-second-vote-refused', { fullPage: false })
  await vd.getByRole('button', { name: '取消' }).click()

  // he closes it early and reads the result in words
  await panel.locator('[data-test=close-vote]').click()
  await page.getByRole('button', { name: '结束并计票' }).click()
  await expect(page.locator('[data-test="step-决议"]')).toContainText('已通过')
  await expect(page.locator('[data-test=decision-status]')).toHaveText('已决议')
  const words = page.locator(`[data-test="record-vote-${voteId}"]`)
  await expect(words).toContainText(`应到 ${eligible} 人，实到 ${voters.length} 人，达到法定人数`)
  await expect(words).toContainText('，通过')
  const v = await api('GET', `/votes/${voteId}`, { token: voters[0].token })
  expect(v.body.result_words).toContain('同意')
  await shot(page, 'decisions-vote-result')

  // 决议公开: the 公示 opens; a villager's objection is recorded and answered; it cannot be completed early
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：决议公开')
  await field(page, 'publicity-summary').fill(`${title}：村民代表会议表决通过，预算 86000.00 元`)
  await page.locator('[data-test=open-publicity]').click()
  await expect(page.locator('[data-test=publicity-window]')).toContainText('公示期')
  await field(page, 'objection-by').fill('张大山')
  await field(page, 'objection-text').fill('排水沟出口离我家地太近，怕淹')
  await page.locator('[data-test=add-objection]').click()
  const objection = page.locator('[data-test^=objection-]').filter({ hasText: '怕淹' })
  await expect(objection).toBeVisible()
  await objection.locator('input').fill('出口改到村北河道，不经过农田')
  await objection.getByRole('button', { name: '答复' }).click()
  await expect(page.locator('[data-test^=objection-]').filter({ hasText: '怕淹' })).toContainText('答复：出口改到村北河道')
  await page.locator('[data-test=close-publicity]').click()
  await expect(page.locator('[data-test=publicity-error]')).toContainText('才结束，届时才能完成该环节')
  await shot(page, 'decisions-publicity')
  const decisionId = Number(new URL(page.url()).pathname.split('/').pop())
  let token = await consoleToken(page)
  const stageOf = async (name) =>
    (await api('GET', `/decisions/${decisionId}`, { token })).body.stages.find((s) => s.stage === name)
  const published = (await stageOf('决议公开')).result.publicity
  await expect(page.locator('[data-test=publicity-window]')).toContainText(`${published.start_on} 至 ${published.end_on}`)

  // ---- the 公示 ends: 10:00 in 临江村 on its last day; the session of days ago has run out
  const publishedEnd = shanghai(published.end_on, 10)
  await moveClock(page, publishedEnd)
  token = await comeBack(page, `/decisions/${decisionId}`, publishedEnd)
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：决议公开')
  await field(page, 'supervisor-opinion').fill('公示期内异议已答复，同意公开')
  await page.locator('[data-test=close-publicity]').click()
  await expect(page.locator('[data-test="step-决议公开"]')).toContainText('已完成')
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：实施结果公开')

  // 实施结果: the money spent and the acceptance; half an acceptance is refused at its field
  await field(page, 'result-spent').fill('84250.50')
  await field(page, 'result-accepted-by').fill('村务监督委员会 赵德明')
  await page.locator('[data-test=save-result]').click()
  await expect(page.locator('[data-test=result-form] .el-form-item__error')).toBeVisible()
  expect((await stageOf('实施结果公开')).result.spent).toBeNull()
  const acceptedOn = published.end_on
  const picker = page.locator('[data-test=result-form] .el-form-item').filter({ hasText: '验收日期' }).locator('input')
  await picker.fill(acceptedOn)
  await picker.press('Enter')
  await expect(picker).toHaveValue(acceptedOn)
  await field(page, 'result-opinion').fill('排水沟按设计完工，出口改到村北河道，质量合格')
  await field(page, 'result-summary').fill('修缮排水沟 420 米，出口改到村北河道')
  await page.locator('[data-test=save-result]').click()
  await expect(page.locator('[data-test=result-saved]')).toContainText('已登记：使用资金 84,250.50 元')
  const recorded = (await stageOf('实施结果公开')).result
  expect(recorded.spent).toBe('84250.50')
  expect(recorded.accepted_on).toBe(acceptedOn)
  expect(recorded.accepted_by).toBe('村务监督委员会 赵德明')

  // its 公示: the 公开内容 starts as the 实施情况 just saved
  await expect(field(page, 'publicity-summary')).toHaveValue('修缮排水沟 420 米，出口改到村北河道')
  await page.locator('[data-test=open-publicity]').click()
  await expect(page.locator('[data-test=publicity-window]')).toContainText('公示期')
  await expect(page.locator('[data-test=result-shown]')).toContainText(`实际使用资金 84,250.50 元；${acceptedOn} 由 村务监督委员会 赵德明 验收`)
  await expect(page.locator('.el-message')).toHaveCount(0, { timeout: 15_000 }) // the 已保存 notes fade first
  await page.evaluate(() => window.scrollTo(0, 0)) // the steps and the current stage, as he sees them
  await shot(page, 'decisions-result', { fullPage: false })
  await page.locator('[data-test=close-publicity]').click()
  await expect(page.locator('[data-test=publicity-error]')).toContainText('才结束，届时才能完成该环节')

  // ---- that 公示 ends too: he completes it; the decision is done and its record shows all six stages
  const resultPub = (await stageOf('实施结果公开')).result.publicity
  const resultEnd = shanghai(resultPub.end_on, 16)
  await moveClock(page, resultEnd)
  token = await comeBack(page, `/decisions/${decisionId}`, resultEnd)
  await expect(page.locator('[data-test=current-stage]')).toContainText('当前环节：实施结果公开')
  await page.locator('[data-test=close-publicity]').click()
  await expect(page.locator('[data-test=decision-status]')).toHaveText('已完成')
  await expect(page.locator('[data-test=current-stage]')).toHaveCount(0)
  for (const name of STAGES) {
    await expect(page.locator(`[data-test="step-${name}"]`)).toContainText(name.includes('公开') ? '已完成' : '已通过')
    await expect(page.locator(`[data-test="record-${name}"]`)).toContainText(name.includes('公开') ? '已完成' : '已通过')
  }
  await expect(page.locator('[data-test="record-决议公开"]')).toContainText(`公示：${published.start_on} 至 ${published.end_on}`)
  await expect(page.locator('[data-test="record-决议公开"]')).toContainText('答复：出口改到村北河道')
  await expect(page.locator('[data-test="record-实施结果公开"]')).toContainText(`实际使用资金 84,250.50 元；${acceptedOn} 由 村务监督委员会 赵德明 验收`)
  await expect(page.locator('[data-test="record-实施结果公开"]')).toContainText(`公示：${resultPub.start_on} 至 ${resultPub.end_on}`)
  const done = (await api('GET', `/decisions/${decisionId}`, { token })).body
  expect(done.status).toBe('done')
  expect(done.stages.map((s) => [s.stage, s.status])).toEqual(STAGES.map((n) => [n, 'passed']))
  await expect(page.locator('.el-message')).toHaveCount(0, { timeout: 15_000 })
  await shot(page, 'decisions-timeline-done')
})
})

test('the list of decisions filters by status', async ({ page }) => {
  await loginAs(page, 'wangjianguo')
  await page.locator('[data-test="menu-/decisions"]').click()
  await page.locator('[data-test=decision-status]').getByText('已完成').click()
  await expect(page.locator('[data-test=decision-list]')).toBeVisible()
  await shot(page, 'decisions-list-done')
})
