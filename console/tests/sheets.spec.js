// The 公示 sheets for the notice board (issue 19): 王建国 (secretary of 临江村) prints the job hires 公示 from the
// posting's screen and a decision's 决议公示 from the decision's screen (the console's print buttons, signed download
// links); with his console token he also fetches the dividend list, the households' land rent of the year and the
// latest 财务公开. Each PDF is rendered to PNG and its QR code decoded (scripts/sheet_check.py: pypdfium2 + zxing-cpp):
// the QR opens a page the mini-program has (miniprogram-stub/app.json) with that record's query. The PNGs are kept
// as console/test-screenshots/sheet-*.png to be looked at.
import { test, expect } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loginAs, consoleUrl, consoleToken, call, server, shot, PYTHON, ROOT, SHOTS } from './harness.js'

const DIR = mkdtempSync(path.join(tmpdir(), 'sheets-'))

// the sheet as a villager meets it: pages as PNG (kept for looking at), the QR codes decoded
function checkSheet(file, name) {
  const out = execFileSync(PYTHON, [path.join(ROOT, 'scripts', 'sheet_check.py'), file,
    '--png-prefix', path.join(SHOTS, `sheet-${name}`)], { encoding: 'utf8' })
  const sheet = JSON.parse(out)
  expect(sheet.pages).toBeGreaterThan(0)
  expect(sheet.qr, `${name}: one QR code, on the last page`).toHaveLength(1)
  const [qr] = sheet.qr
  expect(qr.page).toBe(sheet.pages)
  expect(qr.exists, `${name}: ${qr.path} is a page of miniprogram-stub/app.json`).toBe(true)
  const last = sheet.text[sheet.pages - 1]
  expect(last).toContain('盖章处')
  expect(last).toContain('签字')
  expect(sheet.text[0]).toContain('临江村')
  return { ...sheet, qr, last }
}

// a print button in the console: the signed link's download, saved
async function printed(page, selector, name) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator(selector).click()])
  expect(file.suggestedFilename()).toMatch(/\.pdf$/)
  const saved = path.join(DIR, `${name}.pdf`)
  await file.saveAs(saved)
  return saved
}

// the same sheet through the API with his console token
async function fetched(token, p, name) {
  const res = await fetch(`${server().api}${p}`, { headers: { Authorization: `Bearer ${token}` } })
  expect(res.status, `${p}: ${res.status}`).toBe(200)
  expect(res.headers.get('content-type')).toContain('application/pdf')
  const saved = path.join(DIR, `${name}.pdf`)
  writeFileSync(saved, Buffer.from(await res.arrayBuffer()))
  return saved
}

test('王建国 prints each 公示 sheet; every QR opens a page the mini-program has', async ({ page }) => {
  await loginAs(page, 'wangjianguo')
  const token = await consoleToken(page)
  const me = (await call('GET', '/me', { token })).body
  const villageIds = [...new Set(me.scopes.flatMap((s) => s.village_ids || []))]
  const lj = (await Promise.all(villageIds.map(async (id) => (await call('GET', `/villages/${id}`, { token })).body)))
    .find((v) => v.name === '临江村')
  expect(lj).toBeTruthy()

  // the job hires 公示, from the posting's screen
  const postings = (await call('GET', `/villages/${lj.id}/job-postings/all?page_size=100`, { token })).body.items
  const job = postings.find((p) => p.status === 'confirmed')
  await page.goto(consoleUrl(`/village/jobs/${job.id}`))
  await expect(page.locator('[data-test=hires-pdf]')).toBeVisible()
  await shot(page, 'sheet-job-screen')
  const hires = checkSheet(await printed(page, '[data-test=hires-pdf]', 'job'), 'job')
  expect(hires.qr.path).toBe('pages/job/job')
  expect(hires.qr.query).toEqual({ id: String(job.id) })
  expect(hires.text[0]).toContain('公益岗位聘用人员公示')

  // the decision's resolution 公示, from the decision's screen
  const decisions = (await call('GET', `/villages/${lj.id}/decisions?page_size=100`, { token })).body.items
  const done = decisions.find((d) => d.status === 'done')
  await page.goto(consoleUrl(`/decisions/${done.id}`))
  await expect(page.locator('[data-test=print-resolution]')).toBeVisible()
  await expect(page.locator('[data-test=print-result]')).toBeVisible()
  await shot(page, 'sheet-decision-screen')
  const resolution = checkSheet(await printed(page, '[data-test=print-resolution]', 'resolution'), 'resolution')
  expect(resolution.qr.path).toBe('pages/decision/decision')
  expect(resolution.qr.query).toEqual({ id: String(done.id) })
  expect(resolution.last).toMatch(/[0-9a-f]{4}-[0-9a-f]{4}/) // the resolution's seal, large

  // the dividend list, the land rent of the year and the 财务公开, with his console token
  const dists = (await call('GET', `/villages/${lj.id}/distributions?page_size=100`, { token })).body.items
  const paid = dists.find((d) => ['published', 'paying', 'paid'].includes(d.status))
  const dividend = checkSheet(await fetched(token, `/distributions/${paid.id}/notice.pdf`, 'dividend'), 'dividend')
  expect(dividend.qr.path).toBe('pages/dividend/dividend')
  expect(dividend.qr.query).toEqual({ id: String(paid.id) })
  expect(dividend.text.join('')).not.toMatch(/\d{17}[\dX]/) // no ID numbers on the board

  const year = new Date().getFullYear()
  const land = checkSheet(await fetched(token, `/villages/${lj.id}/land-rent.pdf?year=${year}`, 'land'), 'land')
  expect(land.qr.path).toBe('pages/land/land')
  expect(land.qr.query).toEqual({ year: String(year) })
  expect(land.last).toContain('本表未封签') // land rent has no seal, and the paper says so

  const published = (await call('GET', `/villages/${lj.id}/disclosures?page_size=1`, { token })).body.items
  const disclosure = checkSheet(await fetched(token, `/disclosures/${published[0].id}/export.pdf`, 'disclosure'), 'disclosure')
  expect(disclosure.qr.path).toBe('pages/disclosure/disclosure')
  expect(disclosure.qr.query).toEqual({ id: String(published[0].id) })
})
