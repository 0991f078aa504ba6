// 赵德明 (村务监督委员, 临江村) signs off the accounts: of two disclosures waiting (the demo publishes its quarters,
// so 李秀英 the accountant drafts two months through the API first), he approves one after reading its lines and
// their vouchers and returns the other with a reason — which 李秀英 then reads through the API; he reads the
// published ones (seal checked on the page, villagers' questions) and the village's audit log filtered by person.
import { readFileSync } from 'node:fs'
import { test, expect } from '@playwright/test'
import { loginAs, consoleUrl, consoleToken, call, appToken, shot } from './harness.js'

// the last closed months (Asia/Shanghai), newest first: candidates for a monthly disclosure
function pastMonths(n) {
  const now = new Date(Date.now() + 8 * 3600 * 1000)
  let y = now.getUTCFullYear()
  let m = now.getUTCMonth() + 1
  const out = []
  for (let i = 0; i < n; i += 1) {
    m -= 1
    if (m === 0) { m = 12; y -= 1 }
    out.push(`${y}-${String(m).padStart(2, '0')}`)
  }
  return out
}

// 李秀英 drafts two monthly disclosures (as the mini-program's token would; the accountant's own endpoint)
async function twoDrafts(villageId, token) {
  const drafts = []
  for (const period of pastMonths(12)) {
    const r = await call('POST', `/villages/${villageId}/disclosures`, { token, body: { period } })
    if ((r.status === 201 || r.status === 200) && r.body.status === 'draft') drafts.push(r.body)
    if (drafts.length === 2) return drafts
  }
  throw new Error(`could not draft two disclosures: ${JSON.stringify(drafts)}`)
}

test('赵德明 approves one disclosure, returns another with a reason the accountant reads, and reads the audit log', async ({ page }) => {
  const accountant = await appToken('lixiuying')
  const me = (await call('GET', '/me', { token: accountant })).body
  const vid = me.village.id
  const [first, second] = await twoDrafts(vid, accountant)

  await loginAs(page, 'zhaodeming')
  await page.locator('[data-test="menu-/supervision/disclosures"]').click()
  await expect(page).toHaveURL(/\/console\/supervision\/disclosures$/)
  const waiting = page.locator('[data-test=waiting-table]')
  await expect(waiting).toContainText(first.title)
  await expect(waiting).toContainText(second.title)
  await shot(page, 'supervision-waiting')

  // the first: its lines, each with the voucher it comes from; 同意公开
  await page.locator(`[data-test=open-${first.id}]`).click()
  await expect(page).toHaveURL(new RegExp(`/console/disclosures/${first.id}$`))
  await expect(page.locator('[data-test=disclosure-title]')).toHaveText(first.title)
  await expect(page.locator('[data-test=disclosure-status]')).toHaveText('等待审核')
  const token = await consoleToken(page)
  const review = (await call('GET', `/disclosures/${first.id}/review`, { token })).body
  expect(review.lines.length).toBeGreaterThan(0)
  for (const line of review.lines) {
    const shown = page.locator(`[data-test=line-${line.line_no}]`)
    await expect(shown).toContainText(line.summary)
    for (const v of line.vouchers || []) await expect(shown.locator('[data-test=vouchers]')).toContainText(v.number)
  }
  await expect(page.locator('[data-test=income-total]')).toContainText(first.income_total.replace(/\B(?=(\d{3})+(?!\d))/g, ','))
  await shot(page, 'supervision-disclosure')
  await page.locator('[data-test=approve]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '同意公开' }).click()
  await expect(page.locator('[data-test=disclosure-status]')).toHaveText('已同意，等会计公布')
  expect((await call('GET', `/disclosures/${first.id}`, { token: accountant })).body.status).toBe('approved')

  // the second: 退回 needs a reason (the server's sentence shows by the field), then goes back with it
  await page.goto(consoleUrl('/supervision/disclosures'))
  await expect(page.locator('[data-test=waiting-table]')).not.toContainText(first.title)
  await expect(page.locator('[data-test=others-table]')).toContainText(first.title)
  await page.locator(`[data-test=open-${second.id}]`).click()
  await expect(page.locator('[data-test=disclosure-title]')).toHaveText(second.title)
  await page.locator('[data-test=return]').click()
  const dialog = page.locator('[data-test=return-dialog]')
  await expect(dialog).toBeVisible()
  await dialog.locator('[data-test=return-submit]').click()
  await expect(dialog.locator('.el-form-item__error')).toBeVisible()
  await expect(dialog.locator('.el-form-item__error')).toHaveText(/\S/)
  expect((await call('GET', `/disclosures/${second.id}`, { token: accountant })).body.status).toBe('draft')
  await shot(page, 'supervision-return-empty')
  const reason = '第1笔没有附领款人签字，请补上签字领条后重新编制。'
  await dialog.locator('textarea').fill(reason)
  await dialog.locator('[data-test=return-submit]').click()
  await expect(dialog).toBeHidden()
  await expect(page.locator('[data-test=disclosure-status]')).toHaveText('已退回会计')
  await expect(page.locator('[data-test=return-reason]')).toContainText(reason)

  // the accountant sees the reason (her list of returned ones, and the disclosure itself)
  const returned = (await call('GET', `/villages/${vid}/disclosures/drafts`, { token: accountant }))
  expect(returned.status).toBe(200)
  const mine = returned.body.items.find((d) => d.id === second.id)
  expect(mine.status).toBe('returned')
  expect(mine.return_reason).toBe(reason)
  expect((await call('GET', `/disclosures/${second.id}`, { token: accountant })).body.return_reason).toBe(reason)

  // 已公开: each published one's seal checks on the page, with the villagers' questions and answers
  await page.locator('[data-test="menu-/supervision/published"]').click()
  const published = (await call('GET', `/villages/${vid}/disclosures`, { token })).body
  expect(published.items.length).toBeGreaterThan(0)
  for (const d of published.items.slice(0, 10)) {
    const card = page.locator(`[data-test=published-${d.id}]`)
    await expect(card).toContainText(d.title)
    await expect(card.locator('[data-test=seal-ok]')).toHaveText(/内容和封签一致，公布后没有被改过/)
    await expect(card.locator('[data-test=seal]')).toContainText(d.seal.slice(0, 8))
  }
  await expect(page.locator('[data-test=question]').first()).toBeVisible()
  await shot(page, 'supervision-published')
  // a published one with a large expense: the decision it rests on, named
  const large = []
  for (const d of published.items) {
    const full = (await call('GET', `/disclosures/${d.id}`, { token })).body
    if (full.large_items.length) large.push(full)
  }
  expect(large.length).toBeGreaterThan(0)
  await page.locator(`[data-test=published-${large[0].id}]`).getByRole('link', { name: large[0].title }).click()
  await expect(page.locator('[data-test=disclosure-title]')).toHaveText(large[0].title)
  for (const item of large[0].large_items) {
    await expect(page.locator('[data-test=large-items]')).toContainText(item.summary)
    await expect(page.locator('[data-test=large-items]')).toContainText(item.decision.title)
  }
  await expect(page.locator('[data-test=seal-ok]')).toBeVisible()
  await expect(page.locator('[data-test=approve]')).toHaveCount(0)
  await shot(page, 'supervision-published-detail')
  await page.goBack()
  const latest = published.items[0]
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-test=pdf-${latest.id}]`).click()])
  expect(pdf.suggestedFilename()).toMatch(/\.pdf$/)
  expect(readFileSync(await pdf.path()).subarray(0, 5).toString()).toBe('%PDF-')

  // 村务日志, filtered by person: only 赵德明's entries, his approval and his return among them
  await page.locator('[data-test="menu-/supervision/audit"]').click()
  await expect(page.locator('[data-test=audit-table]')).toBeVisible()
  await page.locator('[data-test=filter-person]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: '赵德明' }).click()
  const actors = page.locator('[data-test=audit-actor]')
  const zhao = (await call('GET', '/me', { token })).body.person_id
  const api = (await call('GET', `/villages/${vid}/audit?person_id=${zhao}&page_size=20`, { token })).body
  expect(api.total).toBeGreaterThanOrEqual(2)
  await expect
    .poll(async () => {
      const names = await actors.allTextContents()
      return names.length === Math.min(20, api.total) && names.every((n) => n === '赵德明')
    })
    .toBe(true)
  await expect(page.locator('[data-test=audit-pager]')).toContainText(String(api.total))
  const labels = api.items.filter((e) => e.action === 'disclosure.approve' || e.action === 'disclosure.return').map((e) => e.action_label)
  expect(labels.length).toBeGreaterThanOrEqual(2)
  for (const l of labels) await expect(page.locator('[data-test=audit-table]')).toContainText(l)
  await shot(page, 'supervision-audit')

  // and by kind of action: only approvals
  const approveLabel = api.items.find((e) => e.action === 'disclosure.approve').action_label
  await page.locator('[data-test=filter-action]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: approveLabel }).first().click()
  const kinds = page.locator('[data-test=audit-action]')
  await expect.poll(async () => {
    const all = await kinds.allTextContents()
    return all.length > 0 && all.every((t) => t === approveLabel)
  }).toBe(true)
  const approvals = (await call('GET', `/villages/${vid}/audit?person_id=${zhao}&action=disclosure.approve`, { token })).body
  await expect(kinds).toHaveCount(approvals.total)

  // and by dates: a span long before the demo holds nothing, said in a sentence
  await page.locator('.filters .el-range-input').nth(0).fill('2000-01-01')
  await page.locator('.filters .el-range-input').nth(1).fill('2000-01-31')
  await page.locator('.filters .el-range-input').nth(1).press('Enter')
  await expect(page.locator('[data-test=page-empty]')).toHaveText('没有符合条件的记录，换个条件试试。')
})
