// 项目 in the console: 王建国 (secretary of 临江村) opens 项目库 — the demo's 光伏 plant is implemented and behind
// plan (its page charts the monthly plan against the income from the books), 十里荷塘 waits for 审批. He puts a new
// project 蔬菜大棚产业园 into the library and carries it through 储备, 论证 and 筛选; 申报 without naming the support
// funds is refused in Chinese, then done with 县级财政 200,000.00. The page now reads 待镇项目评审委员会审批 and the
// API refuses his own 审批 (403, in Chinese). 郑雯 (青山镇 staff, the 项目评审委员会) opens 镇级 · 项目总览, filters
// 待审批, signs 审批 and exports the overview; the project's page shows 审批 done by 郑雯; 立项 without a decision is
// refused in Chinese. Screenshots of each main screen.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { call, consoleToken, consoleUrl, loginAs, readXlsx, shot } from './harness.js'

const url = (p) => consoleUrl(p)
const TITLE = '蔬菜大棚产业园'
// an el-input's own <input> (its data-test lands on the input) or an input inside the element carrying it
const input = (scope, name) => scope.locator(`[data-test=${name}] input`).or(scope.locator(`input[data-test=${name}]`)).first()
const textarea = (scope, name) => scope.locator(`[data-test=${name}] textarea`).or(scope.locator(`textarea[data-test=${name}]`)).first()

async function pickOption(page, field, text) {
  await page.locator(`[data-test=${field}]`).first().click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click()
}

// a screenshot from the top of the page (the sticky header over a scrolled page shows twice in a full-page shot)
async function topShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, name)
}

async function doStep(page, name, documents) {
  await textarea(page, 'step-documents').fill(documents)
  await page.locator('[data-test=step-save]').click()
  await expect(page.locator('[data-test=step-records]')).toContainText(name)
}

test('a secretary carries a project to 申报, the township review board signs 审批', async ({ page, browser }) => {
  test.setTimeout(120_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'wangjianguo')

  // 项目库: the demo's two projects
  await page.goto(url('/projects'))
  await expect(page.locator('[data-test=project-list]')).toBeVisible()
  await expect(page.locator('[data-test=project-list]')).toContainText('村集体屋顶分布式光伏')
  await expect(page.locator('[data-test=project-list]')).toContainText('已申报，待镇项目评审委员会审批')
  await expect(page.locator('[data-test=project-list]')).toContainText('落后于计划')
  await shot(page, 'projects-list')

  // the 光伏 plant: seven steps done, income from the books against plan
  await page.locator('[data-test="project-村集体屋顶分布式光伏"]').click()
  await page.waitForURL(/\/projects\/\d+$/)
  await expect(page.locator('[data-test=project-status]')).toHaveText('已实施')
  await expect(page.locator('[data-test=step-records]')).toContainText('郑雯')
  await expect(page.locator('[data-test=step-records]')).toContainText('村集体屋顶分布式光伏建设方案')
  await expect(page.locator('[data-test=behind-alert]')).toContainText('落后计划超过 20%')
  await expect(page.locator('[data-test=plan-chart]')).toHaveAttribute('data-drawn', '1')
  await topShot(page, 'project-solar')

  // a new project
  await page.goto(url('/projects'))
  await page.locator('[data-test=new-project]').click()
  const dlg = page.locator('[data-test=project-dialog]')
  await input(dlg, 'project-title').fill(TITLE)
  await pickOption(page, 'project-category', '产业园')
  await input(dlg, 'project-investment').fill('300000')
  await shot(page, 'project-new', { fullPage: false })
  await dlg.locator('[data-test=project-save]').click()
  await page.waitForURL(/\/projects\/\d+$/)
  const id = Number(new URL(page.url()).pathname.split('/').pop())
  await expect(page.locator('[data-test=project-stage]')).toHaveText('待储备')

  await doStep(page, '储备', '村集体经济项目储备表（蔬菜大棚）')
  await doStep(page, '论证', '蔬菜大棚产业园可行性论证报告')
  await doStep(page, '筛选', '村级项目筛选会议纪要')

  // 申报 without the support funds applied for: refused in Chinese, nothing done
  await textarea(page, 'step-documents').fill('县级扶持村级集体经济发展项目申报书')
  await page.locator('[data-test=step-save]').click()
  await expect(page.locator('[data-test=step-error]')).toContainText('申报须写明申请的扶持资金')
  await expect(page.locator('[data-test=project-stage]')).toHaveText('已筛选，待申报')
  await topShot(page, 'project-apply-refused')
  await pickOption(page, 'step-fund-source', '县级财政')
  await input(page, 'step-fund-amount').fill('200000')
  await page.locator('[data-test=step-save]').click()
  await expect(page.locator('[data-test=await-approval]')).toContainText('待镇项目评审委员会审批')
  await expect(page.locator('[data-test=fund-table]')).toContainText('200,000.00')
  await expect(page.locator('[data-test=step-save]')).toHaveCount(0)
  await topShot(page, 'project-awaiting-approval')

  // the secretary cannot sign 审批 himself
  const token = await consoleToken(page)
  const r = await call('POST', `/projects/${id}/steps`, { token, body: { step: 5, done_on: '2026-01-01' } })
  expect(r.status).toBe(403)
  expect(r.body.error.message).toContain('镇项目评审委员会')

  // 郑雯 of 青山镇 signs 审批 in 项目总览
  const ctx = await browser.newContext()
  const staff = await ctx.newPage()
  staff.setDefaultTimeout(15_000)
  await loginAs(staff, 'zhengwen')
  await staff.goto(url('/township/projects'))
  await expect(staff.locator('[data-test=township-projects]')).toContainText(TITLE)
  await staff.locator('[data-test=awaiting-filter]').getByText('待审批').click()
  await expect(staff.locator(`[data-test=approve-${id}]`)).toBeVisible()
  await expect(staff.locator('[data-test=township-projects]')).toContainText('十里荷塘乡村旅游')
  await shot(staff, 'township-projects')
  await staff.locator(`[data-test=approve-${id}]`).click()
  await shot(staff, 'township-approve', { fullPage: false })
  await staff.locator('[data-test=approve-save]').click()
  await expect(staff.locator(`[data-test=approve-${id}]`)).toHaveCount(0)

  // the overview as a workbook: one row per project, the 光伏 plant behind plan
  const [xlsx] = await Promise.all([staff.waitForEvent('download'), staff.locator('[data-test=export-projects]').click()])
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'projects-')), xlsx.suggestedFilename())
  await xlsx.saveAs(file)
  const rows = readXlsx(file)
  expect(rows[1].slice(0, 4)).toEqual(['村', '项目', '类别', '当前环节'])
  const solar = rows.find((r) => r[1] === '村集体屋顶分布式光伏')
  expect(solar[0]).toBe('临江村')
  expect(solar[8]).toBe('是')
  expect(rows.find((r) => r[1] === TITLE)[3]).toBe('已审批，待立项')

  await staff.goto(url(`/projects/${id}`))
  await expect(staff.locator('[data-test=project-stage]')).toHaveText('已审批，待立项')
  await expect(staff.locator('[data-test=step-records]')).toContainText('郑雯')
  await ctx.close()

  // back with the secretary: 立项 is his next step, on a resolved decision chosen by its title
  await page.reload()
  await expect(page.locator('[data-test=project-stage]')).toHaveText('已审批，待立项')
  await expect(page.locator('[data-test=step-save]')).toContainText('立项')
  await topShot(page, 'project-approved')
  // 立项 rests on a resolved 四议两公开 decision: without one it is refused in Chinese
  await textarea(page, 'step-documents').fill('立项批复')
  await page.locator('[data-test=step-save]').click()
  await expect(page.locator('[data-test=step-error]')).toContainText('立项须依据本村已通过的“四议两公开”决议')
  await expect(page.locator('[data-test=project-stage]')).toHaveText('已审批，待立项')
})
