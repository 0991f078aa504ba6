// 孙有福 (临江村 LJ-007) has no phone. At the village office 王建国 enters his ballot in a fresh 村民会议 vote, with
// him in front of him (the last 4 of his ID card checked against the roster); 赵德明 (村务监督委员) co-signs in his own
// browser — never seeing the choice — and only then is the ballot recorded, tagged as assisted with both names, and
// counted per staff pair in the vote's results. A job application goes the same way (孙有福 is too old for the
// posting's age rule, which the page says; 张小燕, not on the app, applies). Without the co-signature nothing is
// recorded: an entry lapses after the village's time limit (set to 1 minute here), and the co-signature is refused.
import { test, expect } from '@playwright/test'
import { loginAs, consoleUrl, call, appToken, shot } from './harness.js'

const SUN_LAST4 = '0715' // 371427195302110715
const XIAOYAN_LAST4 = '0829' // 371427199901010829

function field(page, name) {
  return page.locator(`input[data-test=${name}], [data-test=${name}] input`).first()
}

async function pickMember(page, name) {
  const input = page.locator('[data-test=member-picker] input').first()
  await input.click()
  await input.fill(name)
  await page.locator('.el-select-dropdown__item:visible', { hasText: name }).first().click()
}

async function secretary() {
  const token = await appToken('wangjianguo')
  const me = (await call('GET', '/me', { token })).body
  return { token, villageId: me.village.id }
}

// today in 临江村 (Asia/Shanghai), as a meeting's date
function today() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
}

// a fresh decision taken to its 决议 stage (each earlier meeting attended by its whole roster, all agreeing), with an
// open 村民会议 vote there: every adult on the roster votes, 孙有福 too
async function freshVote(token, villageId, title) {
  const d = await call('POST', `/villages/${villageId}/decisions`, {
    token, body: { title, category: 'project', origin: '村干部提议', decision_body: 'villagers_meeting' },
  })
  expect(d.status, JSON.stringify(d.body)).toBe(201)
  for (let i = 0; i < 5; i += 1) {
    const dec = (await call('GET', `/decisions/${d.body.id}`, { token })).body
    if (dec.stage === '决议') break
    const stage = dec.stages.find((s) => s.stage === dec.stage)
    const roster = (await call('GET', `/villages/${villageId}/bodies/${stage.body}/roster`, { token })).body
    const ids = roster.people.map((x) => x.person_id)
    const m = await call('POST', `/decisions/${d.body.id}/meetings`, {
      token,
      body: { stage: stage.stage, held_on: today(), outcome: 'passed', meeting_form: '会议', attendee_ids: ids,
              votes: { agree: ids.length, oppose: 0 } },
    })
    expect(m.status, JSON.stringify(m.body)).toBe(201)
  }
  const now = Date.now()
  const v = await call('POST', `/decisions/${d.body.id}/votes`, {
    token,
    body: { stage: '决议', body: 'villagers_meeting', title, opens_at: new Date(now - 60_000).toISOString(), closes_at: new Date(now + 3 * 86400_000).toISOString() },
  })
  expect(v.status, JSON.stringify(v.body)).toBe(201)
  return { decisionId: d.body.id, voteId: v.body.id }
}

async function turnout(token, voteId) {
  const r = await call('GET', `/votes/${voteId}/turnout`, { token })
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  return r.body
}

test('王建国 enters 孙有福’s ballot; 赵德明 co-signs in his own session; recorded as assisted with both names', async ({ page, browser }) => {
  const { token, villageId } = await secretary()
  const title = `村道路灯安装（代办测试 ${Date.now() % 100000}）`
  const { decisionId, voteId } = await freshVote(token, villageId, title)
  const before = await turnout(token, voteId)
  expect(before.voted.find((x) => x.name === '孙有福')).toBeUndefined()

  await loginAs(page, 'wangjianguo')
  await page.locator('[data-test="menu-/assisted"]').click()
  await expect(page).toHaveURL(/\/console\/assisted$/)
  await pickMember(page, '孙有福')
  const option = page.locator(`[data-test=vote-option-${voteId}]`)
  await expect(option).toContainText(title)
  await expect(option).toContainText('截止')
  await option.click()

  // nothing chosen, not confirmed: each field says what is missing, nothing is sent
  await page.locator('[data-test=assisted-submit]').click()
  await expect(page.locator('.el-form-item__error')).toHaveCount(3)
  await page.locator('[data-test=choice-oppose]').click()
  await page.locator('[data-test=assisted-confirmed]').click()
  // the wrong ID number: the server's sentence at the field
  await field(page, 'assisted-id-last4').fill('0000')
  await page.locator('[data-test=assisted-submit]').click()
  await expect(page.locator('.el-form-item__error', { hasText: '身份证后4位与花名册上的不一致' })).toBeVisible()
  await shot(page, 'assisted-entry-errors')
  await field(page, 'assisted-id-last4').fill(SUN_LAST4)
  await shot(page, 'assisted-entry-form')
  await page.locator('[data-test=assisted-submit]').click()
  const done = page.locator('[data-test=assisted-submitted]')
  await expect(done).toContainText('已提交，等待监督委员会签字')
  await expect(done).toContainText('孙有福（户号 LJ-007）的表决投票')
  await expect(page.locator('[data-test=assisted-countdown]')).toContainText('还剩')
  await shot(page, 'assisted-submitted')

  // nothing recorded before the co-signature
  expect((await turnout(token, voteId)).cast).toBe(before.cast)
  expect((await call('GET', `/votes/${voteId}`, { token })).body.assisted).toEqual([])

  // 赵德明, in his own browser
  const ctx2 = await browser.newContext({ locale: 'zh-CN' })
  const page2 = await ctx2.newPage()
  await loginAs(page2, 'zhaodeming')
  await page2.locator('[data-test="menu-/assisted/cosign"]').click()
  await expect(page2).toHaveURL(/\/console\/assisted\/cosign$/)
  const table = page2.locator('[data-test=cosign-table]')
  const row = table.locator('.el-table__row', { hasText: title })
  await expect(row).toContainText('孙有福')
  await expect(row).toContainText('LJ-007')
  await expect(row).toContainText('王建国')
  await expect(row).toContainText('还剩')
  await expect(page2.locator('body')).not.toContainText('反对') // the choice is nowhere on his screen
  await shot(page2, 'assisted-cosign-list')
  await row.locator('[data-test^=cosign-]').click()
  const dialog = page2.locator('[data-test=cosign-dialog]')
  await dialog.locator('[data-test=cosign-confirm]').click()
  await expect(dialog.locator('.el-form-item__error', { hasText: '请先确认成员本人在场' })).toBeVisible()
  await dialog.locator('[data-test=cosign-present]').click()
  await shot(page2, 'assisted-cosign-dialog', { fullPage: false })
  await dialog.locator('[data-test=cosign-confirm]').click()
  await expect(dialog).toBeHidden()
  await expect(page2.locator('[data-test=cosign-done] .el-table__row', { hasText: title })).toContainText('已会签，已记录')
  await expect(page2.locator('[data-test=cosign-done] .el-table__row', { hasText: title })).toContainText('赵德明 会签')
  await shot(page2, 'assisted-cosign-done')

  // recorded now: one participation, channel assisted, both names; the counts per staff pair public
  const after = await turnout(token, voteId)
  expect(after.cast).toBe(before.cast + 1)
  const sun = after.voted.find((x) => x.name === '孙有福')
  expect(sun.channel).toBe('assisted')
  expect(sun.assisted_by).toEqual({ entered_by: '王建国', cosigned_by: '赵德明' })
  const view = (await call('GET', `/votes/${voteId}`, { token: await appToken('zhangdashan') })).body
  expect(view.assisted).toEqual([{ entered_by: '王建国', cosigned_by: '赵德明', count: 1 }])
  expect(JSON.stringify(after)).not.toContain('oppose')

  // the decision's page (四议两公开) shows the assisted ballot by both names
  await page.goto(consoleUrl(`/decisions/${decisionId}`))
  const assisted = page.locator('[data-test=vote-assisted]')
  await expect(assisted).toContainText('王建国')
  await expect(assisted).toContainText('赵德明')
  await shot(page, 'assisted-vote-on-decision')
  await page.goto(consoleUrl('/assisted'))

  // the secretary's list shows it signed; a second entry for the same vote is refused (he has voted)
  await expect(page.locator('[data-test=assisted-recent] .el-table__row', { hasText: title })).toContainText('已会签')
  await pickMember(page, '孙有福')
  await expect(page.locator(`[data-test=vote-option-${voteId}]`)).toHaveCount(0)
  await ctx2.close()
})

test('a job application the same way; the direct application on someone’s behalf is refused', async ({ page, browser }) => {
  const { token, villageId } = await secretary()
  const now = Date.now()
  const jobTitle = `护林员（代办测试 ${now % 100000}）`
  const p = await call('POST', `/villages/${villageId}/job-postings`, {
    token,
    body: { title: jobTitle, category: '护林', positions: 1, monthly_wage: '500.00',
            apply_from: new Date(now - 3600_000).toISOString(), apply_until: new Date(now + 7 * 86400_000).toISOString() },
  })
  expect(p.status, JSON.stringify(p.body)).toBe(201)
  const xiaoyan = (await call('GET', `/villages/${villageId}/members?q=张小燕`, { token })).body.items[0]

  // the old direct path for staff records nothing and points to 代办
  const direct = await call('POST', `/job-postings/${p.body.id}/applications`, { token, body: { person_id: xiaoyan.person_id } })
  expect(direct.status).toBe(409)
  expect(direct.body.error.message).toContain('代办')

  await loginAs(page, 'wangjianguo')
  await page.goto(consoleUrl('/assisted'))
  await pickMember(page, '孙有福')
  await page.locator('[data-test=kind-job]').click()
  const sunOption = page.locator(`[data-test=posting-option-${p.body.id}]`)
  await expect(sunOption).toContainText('不能报名')
  await shot(page, 'assisted-job-not-eligible')

  await pickMember(page, '张小燕')
  await page.locator('[data-test=kind-job]').click()
  await page.locator(`[data-test=posting-option-${p.body.id}]`).click()
  await field(page, 'assisted-note').fill('本人没有手机，在村委会报名')
  await page.locator('[data-test=assisted-confirmed]').click()
  await field(page, 'assisted-id-last4').fill(XIAOYAN_LAST4)
  await page.locator('[data-test=assisted-submit]').click()
  await expect(page.locator('[data-test=assisted-submitted]')).toContainText('张小燕（户号 LJ-005）的公益岗位报名')
  const applicants = async () => (await call('GET', `/job-postings/${p.body.id}`, { token })).body.applicants || []
  expect(await applicants()).toEqual([])

  const ctx2 = await browser.newContext({ locale: 'zh-CN' })
  const page2 = await ctx2.newPage()
  await loginAs(page2, 'zhaodeming')
  await page2.goto(consoleUrl('/assisted/cosign'))
  const row = page2.locator('[data-test=cosign-table] .el-table__row', { hasText: jobTitle })
  await expect(row).toContainText('张小燕')
  await expect(row).toContainText('本人没有手机')
  await row.locator('[data-test^=cosign-]').click()
  const dialog = page2.locator('[data-test=cosign-dialog]')
  await dialog.locator('[data-test=cosign-present]').click()
  await dialog.locator('[data-test=cosign-confirm]').click()
  await expect(dialog).toBeHidden()
  const list = await applicants()
  expect(list.map((a) => [a.name, a.assisted])).toEqual([['张小燕', true]])
  await ctx2.close()
})

test('without the co-signature nothing is recorded: the entry lapses, and a late co-signature is refused', async ({ page }) => {
  test.setTimeout(180_000)
  const { token, villageId } = await secretary()
  const { voteId } = await freshVote(token, villageId, `文化广场修缮（代办过期测试 ${Date.now() % 100000}）`)
  const before = await turnout(token, voteId)
  const township = await appToken('zhengwen')
  const set = (value) => call('PUT', `/villages/${villageId}/settings/assisted.expiry_minutes`, { token: township, body: { value } })
  expect((await set(1)).status).toBe(200)
  try {
    const e = await call('POST', `/villages/${villageId}/assisted-entries`, {
      token,
      body: { kind: 'vote', person_id: before.not_voted.find((x) => x.name === '孙有福').unit, vote_id: voteId, choice: '同意',
              member_confirmed: true, id_last4: SUN_LAST4 },
    })
    expect(e.status, JSON.stringify(e.body)).toBe(201)
    expect(e.body.expires_in_seconds).toBeLessThanOrEqual(60)
    const supervisor = await appToken('zhaodeming')

    await loginAs(page, 'zhaodeming')
    await page.goto(consoleUrl('/assisted/cosign'))
    await expect(page.locator(`[data-test=pending-member-${e.body.id}]`)).toHaveText('孙有福')
    // the same person cannot both enter and co-sign
    const own = await call('POST', `/assisted-entries/${e.body.id}/cosign`, { token, body: { present_confirmed: true } })
    expect(own.status).toBe(403)
    expect(own.body.error.message).toContain('录入人不能自己会签')

    await page.waitForTimeout(62_000) // the village's time limit: 1 minute
    expect((await turnout(token, voteId)).cast).toBe(before.cast)
    const late = await call('POST', `/assisted-entries/${e.body.id}/cosign`, { token: supervisor, body: { present_confirmed: true } })
    expect(late.status).toBe(409)
    expect(late.body.error.message).toContain('超过会签时限')
    await page.reload()
    await expect(page.locator(`[data-test=done-status-${e.body.id}]`)).toHaveText('已过期，未记录')
    await shot(page, 'assisted-expired')
    expect((await turnout(token, voteId)).cast).toBe(before.cast)
  } finally {
    expect((await set(30)).status).toBe(200)
  }
})
