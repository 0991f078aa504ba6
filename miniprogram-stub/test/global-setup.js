// Starts scripts/serve_for_tests.py (API + WeChat stand-in on free ports over a freshly seeded demo) once for
// the whole run; its addresses reach the tests through process.env (SV_API, SV_WECHAT).
const { spawn } = require('child_process')
const path = require('path')
const fs = require('fs')

const ROOT = path.resolve(__dirname, '..', '..')

module.exports = async () => {
  if (process.env.SV_API && process.env.SV_WECHAT) return // a server the caller already runs
  const python = process.env.SV_PYTHON || path.join(ROOT, '.venv', 'bin', 'python')
  if (!fs.existsSync(python)) throw new Error(`no Python at ${python}: run scripts/test (it creates .venv)`)
  const child = spawn(python, [path.join(ROOT, 'scripts', 'serve_for_tests.py'), '--quiet'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env },
  })
  global.__SV_SERVER__ = child
  // the server's own log (migrations, request errors) is shown when it fails to start, or with SV_VERBOSE=1
  let log = ''
  child.stderr.on('data', (chunk) => {
    if (process.env.SV_VERBOSE) process.stderr.write(chunk)
    else log = (log + chunk).slice(-20000)
  })
  const line = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('the test server did not start within 120 s')), 120000)
    child.stdout.on('data', (chunk) => {
      out += chunk
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the test server exited (${code}) before it was ready:\n${log}`))
    })
  })
  const { api, wechat } = JSON.parse(line)
  process.env.SV_API = api
  process.env.SV_WECHAT = wechat
}
