// With the network cut to the API's own origin, the console and the API docs still render: nothing they need comes
// from another host (no CDN, no web fonts).
import { test, expect } from '@playwright/test'
import { server, consoleUrl, loginAs, shot } from './harness.js'

async function cutTheNetwork(page) {
  const origin = server().origin
  const outside = []
  await page.context().route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue()
    outside.push(url)
    return route.abort('internetdisconnected')
  })
  return outside
}

test('the console renders with only the API reachable', async ({ page }) => {
  const outside = await cutTheNetwork(page)
  await page.goto(consoleUrl('/login'))
  await expect(page.locator('[data-test=qr]')).toBeVisible()
  await expect(page.locator('[data-test=demo-logins]')).toBeVisible()
  await loginAs(page, 'zhengwen')
  await page.goto(consoleUrl('/township/progress'))
  await expect(page.locator('[data-test=progress-chart][data-drawn="1"]')).toBeVisible()
  await shot(page, 'offline-console')
  expect(outside).toEqual([])
})

test('the API docs render with only the API reachable', async ({ page }) => {
  const outside = await cutTheNetwork(page)
  await page.goto(`${server().api}/docs`)
  await expect(page.locator('.swagger-ui .opblock').first()).toBeVisible({ timeout: 20_000 })
  expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(20)
  await shot(page, 'offline-docs', { fullPage: false })
  expect(outside).toEqual([])
})
