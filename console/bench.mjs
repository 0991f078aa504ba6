// The browser half of bench/console_load.py (run by it): Debian's Chromium, headless, against a running API that
// serves /console/. Prints one JSON line.
//   node console/bench.mjs <origin> <session-json-file> [runs]
// - load: a fresh browser context each run (cold cache), from navigation to the log-in screen drawn (its QR shown)
// - progress: logged in (the session put in sessionStorage), from a click on 进度表 in the menu to the chart drawn
//   (ECharts' `finished`, the chart box's data-drawn="1"), timed inside the page; and a cold full load of the page.
import { readFileSync } from 'node:fs'
import { chromium } from '@playwright/test'

const [origin, sessionFile, runsArg] = process.argv.slice(2)
const runs = Number(runsArg || 5)
const session = JSON.parse(readFileSync(sessionFile, 'utf8'))
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
})
const viewport = { width: 1366, height: 860 }
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const load = []
const fcp = []
for (let i = 0; i < runs; i++) {
  const ctx = await browser.newContext({ viewport })
  const page = await ctx.newPage()
  const t0 = Date.now()
  await page.goto(`${origin}/console/login`, { waitUntil: 'commit' })
  await page.locator('[data-test=qr]').waitFor({ state: 'visible', timeout: 30_000 })
  load.push(Date.now() - t0)
  fcp.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null))
  await ctx.close()
}

const coldProgress = []
const navProgress = []
let villages = null
for (let i = 0; i < runs; i++) {
  const ctx = await browser.newContext({ viewport })
  await ctx.addInitScript((s) => sessionStorage.setItem('sunshine-console-session', JSON.stringify(s)), session)
  const page = await ctx.newPage()
  const t0 = Date.now()
  await page.goto(`${origin}/console/township/progress`, { waitUntil: 'commit' })
  await page.locator('[data-test=progress-chart][data-drawn="1"]').waitFor({ timeout: 30_000 })
  coldProgress.push(Date.now() - t0)
  villages = await page.locator('[data-test=progress-table] .el-table__body tr').count()
  // in the app: home, then a click on 进度表 (the page's code is cached, the data is fetched anew)
  for (let j = 0; j < 3; j++) {
    await page.locator('.el-menu-item', { hasText: '首页' }).click()
    await page.locator('[data-test=progress-chart]').waitFor({ state: 'detached' })
    const timing = page.evaluate(() =>
      new Promise((resolve) => {
        const t0 = performance.now()
        const mo = new MutationObserver(() => {
          if (document.querySelector('[data-test=progress-chart][data-drawn="1"]')) {
            mo.disconnect()
            resolve(performance.now() - t0)
          }
        })
        mo.observe(document.body, { subtree: true, childList: true, attributes: true })
        document.querySelector('[data-test="menu-/township/progress"]').click()
      }),
    )
    navProgress.push(await timing)
  }
  await ctx.close()
}
await browser.close()
console.log(JSON.stringify({ runs, load_ms: load, load_median_ms: median(load), fcp_ms: median(fcp.filter((x) => x != null)),
  progress_cold_ms: coldProgress, progress_cold_median_ms: median(coldProgress), progress_nav_ms: navProgress.map(Math.round),
  progress_nav_median_ms: median(navProgress), villages_drawn: villages }))
