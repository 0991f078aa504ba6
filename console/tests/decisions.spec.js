// 四议两公开 in the console: 王建国 (secretary of 临江村) proposes a NEW decision and takes it stage by stage —
// 提议 and 商议 recorded with attendees ticked by name from the 两委 list, 审议 where a short meeting shows
// “未达到法定人数” before anything is saved, then 决议 by a real vote: the representatives cast their ballots from
// their phones (the API, as the mini-program does), he watches who has voted (never how), a second vote on the same
// stage is refused in Chinese, he closes the vote early and reads the result in words; then 决议公开 opens, a
// villager's objection is recorded and answered, and completing it early is refused with the date it ends.
// (决议公开 lasts at least one day by the village's setting: the server's clock cannot be moved in these tests, so
// 实施结果公开 is covered by the backend's tests with a movable clock.)
import { test, expect } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { loginAs, call, appToken, shot, PYTHON, ROOT } from './harness.js'

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
      tokens.push({ name: p.name, token: await appToken(p.key) })
      continue
    }
    const login = await call('POST', '/auth/wechat-login', { body: { code: `demo-dec${tag}${i}` } })
    expect(login.status, JSON.stringify(login.body)).toBe(200)
    const bound = await call('POST', '/auth/bind', {
      body: { bind_ticket: login.body.bind_ticket, village_code: 'LJ01', name: p.name, id_card_last6: p.last6 },
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

test('王建国 takes a new decision from 提议 to 决议公开, with a real vote at 决议', async ({ page }) => {
  test.setTimeout(180_000)
  await loginAs(page, 'wangjianguo')
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
    const r = await call('POST', `/votes/${voteId}/ballots`, { token: v.token, body: { choice: choices[i % choices.length] } })
    expect(r.status, `${v.name}: ${JSON.stringify(r.body)}`).toBe(201)
  }
  const wrong = await call('POST', `/votes/${voteId}/ballots`, { token: voters[0].token, body: { choice: '赞成' } })
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
  const v = await call('GET', `/votes/${voteId}`, { token: voters[0].token })
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
})

test('the list of decisions filters by status', async ({ page }) => {
  await loginAs(page, 'wangjianguo')
  await page.locator('[data-test="menu-/decisions"]').click()
  await page.locator('[data-test=decision-status]').getByText('已完成').click()
  await expect(page.locator('[data-test=decision-list]')).toBeVisible()
  await shot(page, 'decisions-list-done')
})
