// Runs the mini-program's pages headless: miniprogram-simulate renders them, and `wx` is made real enough —
// wx.request goes over HTTP to the API under test, wx.login hands out the login code of the person the test
// plays, storage lives in memory, navigation and modals are recorded so a test can follow them.
const path = require('path')
const http = require('http')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '..')
const GLOBAL_COMPONENTS = require(path.join(ROOT, 'app.json')).usingComponents

// WeChat gives every page the components app.json declares globally; simulate only merges them into a page whose
// own .json already has a usingComponents object, so give each one read an empty object when it has none.
const simulateUtils = require('miniprogram-simulate/src/utils')
const readJson = simulateUtils.readJson
simulateUtils.readJson = (file) => {
  const json = readJson(file)
  if (json && !json.usingComponents) json.usingComponents = {}
  return json
}

// --- wx.request over node's http (fetch is not there inside jest's jsdom) -------------------------------------
function request({ url, method = 'GET', data, header = {}, timeout, success, fail, complete } = {}) {
  const u = new URL(url)
  const body = data === undefined || method === 'GET' ? undefined : typeof data === 'string' ? data : JSON.stringify(data)
  const req = http.request(
    {
      hostname: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method,
      headers: { ...header, ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}) },
      timeout: timeout || 10000,
    },
    (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => { text += c })
      res.on('end', () => {
        let parsed = text
        try { parsed = text ? JSON.parse(text) : '' } catch (e) { /* not JSON: keep the text, as WeChat does */ }
        const r = { data: parsed, statusCode: res.statusCode, header: res.headers, errMsg: 'request:ok' }
        wxState.requests.push({ method, url: u.pathname + u.search, status: res.statusCode, header })
        if (success) success(r)
        if (complete) complete(r)
      })
    },
  )
  const failWith = (message) => {
    const r = { errMsg: `request:fail ${message}` }
    wxState.requests.push({ method, url: u.pathname + u.search, status: 0, header })
    if (fail) fail(r)
    if (complete) complete(r)
  }
  req.on('timeout', () => { req.destroy(new Error('timeout')) })
  req.on('error', (e) => failWith(e.message))
  if (body) req.write(body)
  req.end()
  return { abort: () => req.destroy(new Error('abort')) }
}

// --- state a test can read or steer ---------------------------------------------------------------------------
const wxState = {
  person: null, // the demo key wx.login answers for: code demo-<person>
  store: new Map(),
  requests: [],
  navigations: [],
  modals: [],
  toasts: [],
  // wx.scanCode: the calls made, and what the camera "sees" (a string), or null when the person closes it
  scans: [],
  scanResult: null,
  fontSizeSetting: 17,
  logins: 0,
  // a test can make the network fail: a function (options) → true to fail this request without sending it
  dropWhen: null,
  // …or answer in the server's place: a function (options) → { statusCode, data } to answer so, or null to send it
  answerWhen: null,
  // wx.requestSubscribeMessage: the calls made ({ tmplIds }), and how the person (or WeChat) answers — an object
  // { <tmplId>: 'accept' | 'reject' | 'ban' | 'filter' }, a function (tmplIds) → such an object, or the string
  // 'fail' (WeChat refuses: no tap, messages switched off). Unset: every template rejected.
  subscribes: [],
  subscribeAnswer: null,
}

function installWx({ person = null, fontSizeSetting = 17 } = {}) {
  wxState.person = person
  wxState.store = new Map()
  wxState.requests = []
  wxState.navigations = []
  wxState.modals = []
  wxState.toasts = []
  wxState.scans = []
  wxState.scanResult = null
  wxState.fontSizeSetting = fontSizeSetting
  wxState.logins = 0
  wxState.dropWhen = null
  wxState.answerWhen = null
  wxState.subscribes = []
  wxState.subscribeAnswer = null
  require(path.join(ROOT, 'utils/subscribe.js'))._forget()
  Object.assign(global.wx, {
    requestSubscribeMessage: (opts = {}) => {
      const tmplIds = opts.tmplIds || []
      wxState.subscribes.push({ tmplIds })
      const answer = wxState.subscribeAnswer
      setTimeout(() => {
        if (answer === 'fail') {
          const r = { errMsg: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.', errCode: 20004 }
          if (opts.fail) opts.fail(r)
          if (opts.complete) opts.complete(r)
          return
        }
        const given = typeof answer === 'function' ? answer(tmplIds) : answer || {}
        const r = { errMsg: 'requestSubscribeMessage:ok' }
        for (const id of tmplIds) r[id] = given[id] || 'reject'
        if (opts.success) opts.success(r)
        if (opts.complete) opts.complete(r)
      }, 0)
    },
    request: (options) => {
      if (wxState.dropWhen && wxState.dropWhen(options)) {
        wxState.requests.push({ method: options.method || 'GET', url: options.url, status: 0, dropped: true, header: options.header })
        setTimeout(() => {
          const r = { errMsg: 'request:fail timeout' }
          if (options.fail) options.fail(r)
          if (options.complete) options.complete(r)
        }, 0)
        return { abort() {} }
      }
      const answer = wxState.answerWhen && wxState.answerWhen(options)
      if (answer) {
        wxState.requests.push({ method: options.method || 'GET', url: options.url, status: answer.statusCode, header: options.header })
        setTimeout(() => {
          const r = { statusCode: answer.statusCode, data: answer.data, header: {}, errMsg: 'request:ok' }
          if (options.success) options.success(r)
          if (options.complete) options.complete(r)
        }, 0)
        return { abort() {} }
      }
      return request(options)
    },
    login: ({ success, fail } = {}) => {
      wxState.logins += 1
      setTimeout(() => {
        if (wxState.person) success && success({ code: `demo-${wxState.person}`, errMsg: 'login:ok' })
        else fail && fail({ errMsg: 'login:fail' })
      }, 0)
    },
    setStorageSync: (k, v) => { wxState.store.set(k, v) },
    getStorageSync: (k) => (wxState.store.has(k) ? wxState.store.get(k) : ''),
    removeStorageSync: (k) => { wxState.store.delete(k) },
    clearStorageSync: () => { wxState.store.clear() },
    getAppBaseInfo: () => ({ fontSizeSetting: wxState.fontSizeSetting, SDKVersion: '3.3.4' }),
    getSystemInfoSync: () => ({ fontSizeSetting: wxState.fontSizeSetting, SDKVersion: '3.3.4' }),
    navigateTo: ({ url }) => { wxState.navigations.push({ kind: 'navigateTo', url }) },
    redirectTo: ({ url }) => { wxState.navigations.push({ kind: 'redirectTo', url }) },
    reLaunch: ({ url }) => { wxState.navigations.push({ kind: 'reLaunch', url }) },
    navigateBack: ({ delta = 1 } = {}) => { wxState.navigations.push({ kind: 'navigateBack', delta }) },
    scanCode: (opts = {}) => {
      wxState.scans.push({ onlyFromCamera: opts.onlyFromCamera, scanType: opts.scanType })
      const seen = wxState.scanResult
      setTimeout(() => {
        if (typeof seen === 'string') {
          const r = { result: seen, scanType: 'QR_CODE', charSet: 'utf-8', errMsg: 'scanCode:ok' }
          if (opts.success) opts.success(r)
          if (opts.complete) opts.complete(r)
        } else {
          const r = { errMsg: 'scanCode:fail cancel' }
          if (opts.fail) opts.fail(r)
          if (opts.complete) opts.complete(r)
        }
      }, 0)
    },
    showModal: (opts) => {
      wxState.modals.push(opts)
      setTimeout(() => opts.success && opts.success({ confirm: true, cancel: false }), 0)
    },
    showToast: (opts) => { wxState.toasts.push(opts) },
    showLoading: () => {},
    hideLoading: () => {},
    stopPullDownRefresh: () => {},
    setClipboardData: ({ data, success }) => { wxState.clipboard = data; success && success() },
    getRandomValues: ({ length, success }) => {
      const bytes = require('crypto').randomBytes(length)
      setTimeout(() => success && success({ randomValues: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + length) }), 0)
    },
  })
  const api = require(path.join(ROOT, 'utils/api.js'))
  api._setSleep(() => Promise.resolve())
  api.setBaseUrl(process.env.SV_API)
  return wxState
}

// simulate runs a component's .js each time a page that uses it is loaded, counting on node's require cache being
// emptied in between; under jest it is not, so the second page to use state-view would get an unregistered one.
// Run each file once, remember what it passed to Component(), and hand the same definition over again later.
const definitions = new Map()
let running = null
const simulateComponent = global.Component
global.Component = (options) => {
  if (running) definitions.set(running, options)
  return simulateComponent(options)
}
simulateUtils.runJs = (file) => {
  const key = require.resolve(file)
  if (definitions.has(key)) return simulateComponent(definitions.get(key))
  running = key
  try {
    return require(file)
  } finally {
    running = null
  }
}

// --- App(), getApp() and Page() on top of simulate's Component() ---------------------------------------------
let appInstance = null
global.App = (options) => { appInstance = options }
global.getApp = () => appInstance
require(path.join(ROOT, 'app.js'))

// A page written with Page() runs as a component: its handlers become methods, onLoad(query) runs when it is
// attached (the promise it returns is kept as `instance.__loaded`), the other lifetimes are called by the test.
global.Page = (options) => {
  const { data, ...rest } = options
  const methods = {}
  for (const [k, v] of Object.entries(rest)) if (typeof v === 'function') methods[k] = v
  return global.Component({
    data,
    methods,
    lifetimes: {
      attached() {
        this.__loaded = Promise.resolve(this.onLoad ? this.onLoad(this.__query || {}) : undefined)
      },
    },
  })
}

// A page's name: "home" for pages/home/home, "console-login/confirm" for a page whose file is not named after its
// folder (app.json's path without "pages/").
function pageName(appPath) {
  const [dir, file] = appPath.split('/').filter(Boolean).slice(1)
  return !file || file === dir ? dir : `${dir}/${file}`
}

const loaded = {}
function pageId(name) {
  if (!loaded[name]) {
    const file = name.includes('/') ? path.join(ROOT, 'pages', name) : path.join(ROOT, 'pages', name, name)
    loaded[name] = simulate.load(file, {
      rootPath: ROOT,
      usingComponents: GLOBAL_COMPONENTS,
    })
  }
  return loaded[name]
}

// Render a page as WeChat would open it with `query`; resolves once its onLoad has finished.
async function openPage(name, query = {}) {
  const page = simulate.render(pageId(name))
  page.instance.__query = query
  page.attach(document.createElement('parent-wrapper'))
  await page.instance.__loaded
  return page
}

// Render a page without waiting for its onLoad: { page, loaded } (loaded: the promise onLoad returned) — to look at
// the screen while its requests are still on their way (see holdRequests).
function renderPage(name, query = {}) {
  const page = simulate.render(pageId(name))
  page.instance.__query = query
  page.attach(document.createElement('parent-wrapper'))
  return { page, loaded: page.instance.__loaded }
}

// A slow network: every wx.request from now on waits until release() sends them (and those made later at once);
// held() is how many are waiting. Undone by the next installWx.
function holdRequests() {
  const waiting = []
  let open = false
  const send = global.wx.request
  global.wx.request = (options) => {
    if (open) return send(options)
    waiting.push(options)
    return { abort() {} }
  }
  return {
    held: () => waiting.length,
    release: () => {
      open = true
      for (const options of waiting.splice(0)) send(options)
    },
  }
}

// Follow the last wx.navigateTo/redirectTo/reLaunch the app made: render that page with its query.
async function follow() {
  const nav = wxState.navigations[wxState.navigations.length - 1]
  if (!nav || !nav.url) throw new Error('the app did not navigate')
  const [pathname, search = ''] = nav.url.split('?')
  const name = pageName(pathname)
  const query = Object.fromEntries(new URLSearchParams(search))
  return { name, query, page: await openPage(name, query) }
}

// Elements of the rendered page, custom components' insides included: `.name` matches a class however
// simulate prefixed it (main--name on the page, state-view--name inside the component).
function domAll(page, selector) {
  if (!selector.startsWith('.')) return Array.from(page.dom.querySelectorAll(selector))
  const wanted = selector.slice(1)
  return Array.from(page.dom.querySelectorAll('*')).filter((el) =>
    Array.from(el.classList).some((c) => c === wanted || c.endsWith(`--${wanted}`)))
}

const clean = (el) => el.textContent.replace(/\s+/g, ' ').trim()

function text(page, selector) {
  const el = domAll(page, selector)[0]
  if (!el) throw new Error(`no element ${selector}`)
  return clean(el)
}

function texts(page, selector) {
  return domAll(page, selector).map(clean)
}

function has(page, selector) {
  return domAll(page, selector).length > 0
}

async function tap(page, selector) {
  const el = page.querySelector(selector)
  if (!el) throw new Error(`no element ${selector}`)
  el.dispatchEvent('tap')
  await settle()
}

// wait until the app's requests are done (the bridge answers asynchronously)
async function settle(ms = 50) {
  await simulate.sleep(ms)
}

async function until(predicate, { timeout = 10000, step = 20 } = {}) {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeout) throw new Error('condition not met in time')
    await simulate.sleep(step)
  }
}

// direct API calls for a test's own set-up and checks (not through the app)
function call(method, apiPath, { body, token, base = process.env.SV_API, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    request({
      url: base + apiPath,
      method,
      data: body,
      header: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
      success: (r) => resolve(r),
      fail: (e) => reject(new Error(e.errMsg)),
    })
  })
}

async function tokenFor(person) {
  const r = await call('POST', '/auth/wechat-login', { body: { code: `demo-${person}` } })
  if (!r.data.bound) throw new Error(`${person} is not bound`)
  return r.data.token
}

// A phone already signed in as `person` (one login per person per test file, reused): a fresh wx with the token stored.
const tokenCache = {}
async function tokenOf(person) {
  if (!tokenCache[person]) tokenCache[person] = await tokenFor(person)
  return tokenCache[person]
}
async function signedIn(person, options = {}) {
  const token = await tokenOf(person)
  installWx({ person, ...options })
  wxState.store.set('sv_token', token)
  return wxState
}

// The business date in China (the API's today()): a meeting may not be dated later than that.
function chinaToday() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

// A decision created through POST /villages/{id}/decisions starts at 提议; a vote may be opened only on its current
// meeting stage. Bring it to 决议 the way a secretary must: record each earlier meeting (提议, 商议, 审议 …) as passed,
// everyone on the body's roster present and agreeing (a body that cannot be enumerated: 应到 = 实到 = 9, 9 agree).
// Then POST /decisions/{id}/votes with stage '决议' opens the vote.
async function advanceToResolution(decisionId, token) {
  const heldOn = chinaToday()
  const got = await call('GET', `/decisions/${decisionId}`, { token })
  if (got.statusCode !== 200) throw new Error(`GET /decisions/${decisionId}: ${got.statusCode} ${JSON.stringify(got.data)}`)
  const decision = got.data
  for (const stage of decision.stages) {
    if (stage.stage === '决议') return decision
    if (stage.kind !== 'meeting' || stage.status === 'passed') continue
    const roster = await call('GET', `/villages/${decision.village_id}/bodies/${encodeURIComponent(stage.body)}/roster?on=${heldOn}`, { token })
    if (roster.statusCode !== 200) throw new Error(`roster of ${stage.body}: ${roster.statusCode} ${JSON.stringify(roster.data)}`)
    const people = roster.data.people.map((p) => p.person_id)
    const attendance = roster.data.enumerable ? { attendee_ids: people } : { eligible: 9, present: 9 }
    const present = roster.data.enumerable ? people.length : 9
    const r = await call('POST', `/decisions/${decisionId}/meetings`, {
      token,
      body: { stage: stage.stage, held_on: heldOn, outcome: '通过', ...attendance,
        votes: { agree: present, oppose: 0, abstain: 0 } },
    })
    if (r.statusCode !== 201) throw new Error(`recording ${stage.stage}: ${r.statusCode} ${JSON.stringify(r.data)}`)
  }
  throw new Error(`decision ${decisionId} has no 决议 stage`)
}

// the WeChat stand-in's control endpoints (faults, request log)
function standin(method, name, body) {
  return call(method, `/__standin/${name}`, { body, base: process.env.SV_WECHAT })
}

module.exports = { ROOT, wxState, installWx, pageName, openPage, renderPage, holdRequests, follow, text, texts, has, tap, settle, until, call, tokenFor, tokenOf, signedIn, advanceToResolution, standin, simulate }
