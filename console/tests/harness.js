// The console's browser tests share this: the API over a freshly seeded demo (scripts/serve_for_tests.py, on
// SQLite or — with TEST_DATABASE_URL — a scratch PostgreSQL database), which also serves /console/ from
// console/dist; log-in helpers (by scan, approved with a mini-program token; or through the demo panel);
// calls to the API as a phone would make them; and shot(page, name) → console/test-screenshots/<name>.png.
import { spawn, execFileSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from '@playwright/test'

const HERE = path.dirname(fileURLToPath(import.meta.url))
export const CONSOLE_DIR = path.resolve(HERE, '..')
export const ROOT = path.resolve(CONSOLE_DIR, '..')
export const PYTHON = path.join(ROOT, '.venv', 'bin', 'python')
export const SHOTS = path.join(CONSOLE_DIR, 'test-screenshots')

// Start an API on a free port over a fresh demo; `env` adds settings (e.g. CONSOLE_TICKET_SECONDS).
// Resolves {api, origin, wechat, stop()} once it answers.
export function startServer(env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(ROOT, 'scripts', 'serve_for_tests.py'), '--quiet'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000)
    })
    const timer = setTimeout(() => {
      child.kill('SIGTERM')
      reject(new Error(`serve_for_tests.py did not start in 120 s:\n${stderr}`))
    }, 120_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve_for_tests.py exited (${code}):\n${stderr}`))
    })
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer)
      const info = JSON.parse(line)
      const origin = new URL(info.api).origin
      resolve({
        api: info.api,
        origin,
        wechat: info.wechat,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit')
            child.on('exit', () => done())
            child.stdin.end()
            setTimeout(() => child.kill('SIGTERM'), 15_000).unref()
          }),
      })
    })
  })
}

// The shared server started by global-setup.js.
export function server() {
  const api = process.env.CONSOLE_TEST_API
  if (!api) throw new Error('CONSOLE_TEST_API is not set: run the tests through playwright (global-setup.js)')
  return { api, origin: new URL(api).origin, wechat: process.env.CONSOLE_TEST_WECHAT }
}

export function consoleUrl(p = '/', srv = server()) {
  return `${srv.origin}/console${p.startsWith('/') ? p : `/${p}`}`
}

// An API call as a phone or a script makes it: returns {status, body}.
export async function call(method, p, { token, body, srv = server() } = {}) {
  const headers = { Accept: 'application/json' }
  if (token) headers.Authorization = `Bearer ${token}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(`${srv.api}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let parsed = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = text
  }
  return { status: res.status, body: parsed }
}

// The mini-program's token of a demo person (the stand-in's code `demo-<key>` logs in as openid o-<key>).
export async function appToken(key, srv = server()) {
  const r = await call('POST', '/auth/wechat-login', { body: { code: `demo-${key}` }, srv })
  expect(r.status, JSON.stringify(r.body)).toBe(200)
  expect(r.body.token, `demo-${key} is not bound`).toBeTruthy()
  return r.body.token
}

// The QR's text as the page shows it (img[data-qr]) and the public code in it.
export async function readQr(page) {
  const img = page.locator('[data-test=qr]')
  await expect(img).toBeVisible({ timeout: 15_000 })
  const qr = await img.getAttribute('data-qr')
  expect(qr).toMatch(/^sunshine-console:/)
  return { qr, code: qr.slice('sunshine-console:'.length) }
}

// Log in by scanning: the page shows its QR, the person's phone (their app token) approves it, the page enters.
export async function scanLogin(page, key, { srv = server(), to = '/' } = {}) {
  await page.goto(consoleUrl(`/login${to !== '/' ? `?redirect=${encodeURIComponent(to)}` : ''}`, srv))
  const { code } = await readQr(page)
  const token = await appToken(key, srv)
  const r = await call('POST', `/auth/console-tickets/${encodeURIComponent(code)}/approve`, { token, srv })
  expect(r.status, JSON.stringify(r.body)).toBe(204)
  await page.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 15_000 })
  await expect(page.locator('[data-test=who]')).toBeVisible()
  return token
}

// Log in through the demo panel (no phone): one click on the person's button.
export async function loginAs(page, key, { srv = server() } = {}) {
  await page.goto(consoleUrl('/login', srv))
  await page.locator(`[data-test=demo-${key}]`).click()
  await page.waitForURL((u) => !u.pathname.endsWith('/login'), { timeout: 15_000 })
  await expect(page.locator('[data-test=who]')).toBeVisible()
}

// The console token of the page's session (kept in sessionStorage).
export async function consoleToken(page) {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('sunshine-console-session') || '{}').token)
}

// fullPage: false for a drawer or dialog (they sit over the window, not the page)
export async function shot(page, name, { fullPage = true } = {}) {
  mkdirSync(SHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage, animations: 'disabled' })
}

// A workbook's first sheet as rows of values (openpyxl in the project's venv reads it).
export function readXlsx(file) {
  const out = execFileSync(
    PYTHON,
    [
      '-c',
      'import json, sys, openpyxl\n' +
        'ws = openpyxl.load_workbook(sys.argv[1], data_only=True).worksheets[0]\n' +
        'print(json.dumps([[None if c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)], ensure_ascii=False))',
      file,
    ],
    { encoding: 'utf8' },
  )
  return JSON.parse(out)
}

// "1,234.50" / "1234.5" / 1234.5 → "1234.50"
export function money(v) {
  return Number(String(v).replace(/,/g, '')).toFixed(2)
}
