// The one wrapper around wx.request. Every page talks to the server through it.
//
// - base URL: config.apiBase, or what setBaseUrl() stored (so a tester can point the app at a server)
// - token: kept with wx.setStorageSync, sent as `Authorization: Bearer …`
// - 401: the token is dropped, wx.login runs once (one login for all calls waiting on it), the call is tried again
// - errors: the server's {"error": {"code", "message", "details"}} becomes an ApiError whose message is the
//   server's Chinese text; a failure with no answer gets a plain Chinese message of our own
// - weak networks: reads are tried again after a pause when no answer came back or the server answered 502/503/504;
//   writes carry an Idempotency-Key and are tried again (with the same key) only in those same cases
// - kept answers: the last 200 of each read is kept in storage with its ETag and the time; the next read of the same
//   path asks with If-None-Match and a 304 (a few bytes) gives the kept body back. utils/ui.load shows them at once
//   (fromKept) while it asks again. They belong to one server and one token: a new token or a logout forgets them,
//   so one person's answers are never shown to another on a shared phone.
const config = require('../config')
const { sha256 } = require('./sha256')

const TOKEN_KEY = 'sv_token'
const BASE_KEY = 'sv_api_base'
const RETRY_STATUSES = [502, 503, 504]
// the kept answers: an index (whose they are, and per path its ETag, time and size, oldest first) and one storage
// key per answer (WeChat allows 1 MB a key, 10 MB in all), bounded so they never crowd out the token
const KEPT_INDEX = 'sv_kept'
const KEPT_PREFIX = 'sv_kept:'
const KEPT_MAX_ENTRIES = 60
const KEPT_MAX_CHARS = 1000000 // the bodies' JSON text, about 1 MB; the oldest go first
const NEVER_KEPT = /^\/auth\// // log-in tickets are short-lived and single-use: never shown from the store

const MESSAGES = {
  network: '网络不好，没有连上服务器。请检查网络后再试一次',
  server: '系统出了点问题，请稍后再试',
  notBound: '请先绑定您的身份',
}

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.details = details || {}
  }
}

let loginInFlight = null
let sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function baseUrl() {
  return (wx.getStorageSync(BASE_KEY) || config.apiBase).replace(/\/+$/, '')
}

function setBaseUrl(url) {
  if (url) wx.setStorageSync(BASE_KEY, url)
  else wx.removeStorageSync(BASE_KEY)
}

function getToken() {
  return wx.getStorageSync(TOKEN_KEY) || ''
}

function setToken(token) {
  if ((token || '') !== getToken()) forgetKept() // another person, or nobody: the answers kept are not theirs
  if (token) wx.setStorageSync(TOKEN_KEY, token)
  else wx.removeStorageSync(TOKEN_KEY)
}

// --- kept answers ---------------------------------------------------------------------------------------------
// Whose the kept answers are: the server and the token, as a hash (the token itself is not written twice). Checked
// on every use, so a token put in storage by any other way (a test, an older version) cannot see them either.
let ownerMemo = { base: null, token: null, owner: '' }
function keptOwner() {
  const token = getToken()
  if (!token) return ''
  const base = baseUrl()
  if (ownerMemo.base !== base || ownerMemo.token !== token) {
    ownerMemo = { base, token, owner: sha256(`${base}\n${token}`).slice(0, 32) }
  }
  return ownerMemo.owner
}

function readIndex() {
  const idx = wx.getStorageSync(KEPT_INDEX)
  return idx && typeof idx === 'object' && Array.isArray(idx.items) ? idx : { owner: '', items: [] }
}

function forgetKept() {
  const idx = readIndex()
  for (const item of idx.items) wx.removeStorageSync(KEPT_PREFIX + item.path)
  wx.removeStorageSync(KEPT_INDEX)
}

// the index of the current owner; anyone else's answers are removed first
function keptIndex() {
  const owner = keptOwner()
  const idx = readIndex()
  if (idx.owner === owner) return idx
  forgetKept()
  return { owner, items: [] }
}

function keptAnswer(path) {
  if (!keptOwner()) return null
  const item = keptIndex().items.find((i) => i.path === path)
  const text = item && wx.getStorageSync(KEPT_PREFIX + path)
  if (!text) return null
  try {
    return { etag: item.etag, at: item.at, body: JSON.parse(text) } // a copy: a page may change what it is given
  } catch (e) {
    return null
  }
}

// keep a 200 (or, with body undefined, mark a kept one confirmed now by a 304) — only for the owner it was asked as
function keep(path, owner, etag, body) {
  if (!owner || owner !== keptOwner()) return
  try {
    const idx = keptIndex()
    const old = idx.items.find((i) => i.path === path)
    idx.items = idx.items.filter((i) => i.path !== path)
    let text = null
    if (body === undefined) {
      if (!old) return
      idx.items.push({ ...old, at: Date.now() })
    } else {
      text = JSON.stringify(body)
      if (text === undefined || text.length > KEPT_MAX_CHARS / 2) { // too large to keep beside others
        wx.removeStorageSync(KEPT_PREFIX + path)
        wx.setStorageSync(KEPT_INDEX, idx)
        return
      }
      idx.items.push({ path, etag: etag || '', at: Date.now(), size: text.length })
    }
    let total = idx.items.reduce((n, i) => n + i.size, 0)
    while (idx.items.length > KEPT_MAX_ENTRIES || total > KEPT_MAX_CHARS) {
      const gone = idx.items.shift()
      total -= gone.size
      wx.removeStorageSync(KEPT_PREFIX + gone.path)
    }
    if (text !== null) wx.setStorageSync(KEPT_PREFIX + path, text)
    wx.setStorageSync(KEPT_INDEX, idx)
  } catch (e) {
    forgetKept() // storage full or refused: no half-kept answers
  }
}

function etagOf(header) {
  for (const k of Object.keys(header || {})) if (k.toLowerCase() === 'etag') return header[k]
  return ''
}

// The "kept answers only" run (utils/ui.load): while it is set, a read answers from the store without the network
// and fails when its answer is not kept; a write fails. Why a module flag is safe: fromKept starts the run at the
// beginning of a timer callback (an empty microtask queue) and the run takes no network wait — every read it makes
// resolves at once — so every piece of code that runs while the flag is set descends from that run's fetch; any
// other request's answer arrives as a later task, after the flag is cleared. A fetch that awaits anything else (none
// of the pages does) outlives the turn: a timer ends the run then (no kept answers shown), and the rest of it reads
// the network, its answers dropped.
let keptOnly = null

function fromKept(fetch) {
  if (!keptOwner() || !keptIndex().items.length) return Promise.resolve(null) // nothing kept: no run, no wait
  return new Promise((resolve) => {
    setTimeout(() => {
      const run = { oldest: Infinity, missing: false, over: false }
      const end = (result) => {
        if (run.over) return
        run.over = true
        if (keptOnly === run) keptOnly = null
        resolve(result)
      }
      keptOnly = run
      let p
      try {
        p = Promise.resolve(fetch())
      } catch (err) {
        p = Promise.reject(err)
      }
      p.then((data) => end(run.missing || run.oldest === Infinity ? null : { data, at: run.oldest }), () => end(null))
      setTimeout(() => end(null), 0)
    }, 0)
  })
}

// A write of this phone may change any answer: what was kept before it is not shown as it stands (a villager back
// from applying must not see the list without the application, even marked with its time) — it still serves as the
// If-None-Match of the next read, whose 304 makes it current again.
function markWritten() {
  if (!keptOwner()) return
  try {
    const idx = keptIndex()
    idx.writtenAt = Date.now()
    wx.setStorageSync(KEPT_INDEX, idx)
  } catch (e) {
    forgetKept()
  }
}

function fromStore(method, path) {
  const run = keptOnly
  let kept = method === 'GET' && !NEVER_KEPT.test(path) ? keptAnswer(path) : null
  if (kept && kept.at <= (keptIndex().writtenAt || 0)) kept = null
  if (!kept) {
    run.missing = true
    return Promise.reject(new ApiError(0, 'kept.missing', MESSAGES.network))
  }
  run.oldest = Math.min(run.oldest, kept.at)
  return Promise.resolve(kept.body)
}

// A key for one write: 128 random bits. wx.getRandomValues is a cryptographic source (base library 2.25.3+); a
// ballot's receipt is derived from its key, so the key must not be guessable. Older clients fall back to
// Math.random mixed with the time, which is unique enough for retries of ordinary writes.
function randomBytes(n) {
  return new Promise((resolve) => {
    if (typeof wx.getRandomValues === 'function') {
      wx.getRandomValues({
        length: n,
        success: (r) => resolve(new Uint8Array(r.randomValues)),
        fail: () => resolve(null),
      })
    } else resolve(null)
  })
}

async function newKey() {
  const bytes = await randomBytes(16)
  if (bytes && bytes.length === 16) return `mp-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
  const rnd = () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')
  return `mp-${Date.now().toString(16)}-${rnd()}${rnd()}`
}

function query(params) {
  if (!params) return ''
  const parts = Object.keys(params)
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

// one wx.request as a promise: resolves with the response whatever its status, rejects only when no answer came
function send({ method, path, data, header }) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: baseUrl() + path,
      method,
      data,
      header,
      timeout: config.timeoutMs,
      dataType: 'json',
      success: (res) => resolve(res),
      fail: (err) => reject(new ApiError(0, 'network.unavailable', MESSAGES.network, { errMsg: err && err.errMsg })),
    })
  })
}

function toError(res) {
  const body = res.data
  if (body && typeof body === 'object' && body.error && body.error.message) {
    return new ApiError(res.statusCode, body.error.code, body.error.message, body.error.details)
  }
  if (RETRY_STATUSES.includes(res.statusCode)) return new ApiError(res.statusCode, 'server.unavailable', MESSAGES.server)
  return new ApiError(res.statusCode, 'server.error', MESSAGES.server)
}

// send, and again after a pause while there is no answer or the server is briefly unavailable
async function sendWithRetries(req) {
  const delays = config.retryDelays
  for (let attempt = 0; ; attempt += 1) {
    let res = null
    let failure = null
    try {
      res = await send(req)
    } catch (err) {
      failure = err
    }
    // a query the server stopped for taking too long (server.query_timeout) would only take as long again
    const stopped = !failure && res.data && res.data.error && res.data.error.code === 'server.query_timeout'
    const retryable = failure || (RETRY_STATUSES.includes(res.statusCode) && !stopped)
    if (!retryable || attempt >= delays.length) {
      if (failure) throw failure
      return res
    }
    await sleep(delays[attempt])
  }
}

// wx.login → POST /auth/wechat-login. Resolves {bound: true, user} with the token stored, or
// {bound: false, bind_ticket} for a WeChat account not yet bound to a member.
// A login code works once, so every try asks wx.login for a fresh one; WeChat being briefly unavailable (502/503),
// no answer at all, or a code our lost earlier try may have used up (auth.code_invalid after a failure) → try again.
function wxLoginCode() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (r) => resolve(r.code),
      fail: () => reject(new ApiError(0, 'wechat.login_failed', '微信登录没有成功，请稍后再试')),
    })
  })
}

function login() {
  if (loginInFlight) return loginInFlight
  loginInFlight = (async () => {
    const delays = config.retryDelays
    for (let attempt = 0; ; attempt += 1) {
      const code = await wxLoginCode()
      let res = null
      let failure = null
      try {
        res = await send({ method: 'POST', path: '/auth/wechat-login', data: { code },
          header: { 'Content-Type': 'application/json' } })
      } catch (err) {
        failure = err
      }
      if (res && res.statusCode === 200) {
        setToken(res.data.bound ? res.data.token : '')
        return res.data
      }
      const err = failure || toError(res)
      const retryable = failure || RETRY_STATUSES.includes(res.statusCode) ||
        (attempt > 0 && err.code === 'auth.code_invalid')
      if (!retryable || attempt >= delays.length) throw err
      await sleep(delays[attempt])
    }
  })()
  const done = () => { loginInFlight = null }
  loginInFlight.then(done, done)
  return loginInFlight
}

async function request(method, path, options = {}) {
  const { data, params, auth = true, idempotencyKey, retried401 = false, fresh = false } = options
  if (keptOnly) return fromStore(method, path + query(params))
  const isWrite = method !== 'GET'
  const header = { 'Content-Type': 'application/json' }
  if (auth) {
    let token = getToken()
    if (!token) {
      const r = await login()
      if (!r.bound) throw new ApiError(401, 'auth.not_bound', MESSAGES.notBound, { bind_ticket: r.bind_ticket })
      token = getToken()
    }
    header.Authorization = `Bearer ${token}`
  }
  const key = isWrite ? idempotencyKey || (await newKey()) : undefined
  if (key) header['Idempotency-Key'] = key
  if (isWrite && auth) markWritten()
  const full = path + query(params)
  const keepable = !isWrite && auth && !NEVER_KEPT.test(full)
  const owner = keepable ? keptOwner() : ''
  const kept = keepable && !fresh ? keptAnswer(full) : null
  if (kept && kept.etag) header['If-None-Match'] = kept.etag
  const res = await sendWithRetries({ method, path: full, data: isWrite ? data || {} : undefined, header })
  if (res.statusCode === 304 && keepable) {
    if (!kept || owner !== keptOwner()) return request(method, path, { ...options, fresh: true }) // forgotten meanwhile
    keep(full, owner)
    return kept.body
  }
  if (res.statusCode === 401 && auth && !retried401) {
    setToken('')
    const r = await login()
    if (!r.bound) throw new ApiError(401, 'auth.not_bound', MESSAGES.notBound, { bind_ticket: r.bind_ticket })
    return request(method, path, { ...options, idempotencyKey: key, retried401: true })
  }
  if (res.statusCode >= 200 && res.statusCode < 300) {
    if (keepable && res.statusCode === 200) keep(full, owner, etagOf(res.header), res.data)
    return res.statusCode === 204 ? null : res.data
  }
  throw toError(res)
}

async function bind(payload) {
  const result = await request('POST', '/auth/bind', { data: payload, auth: false })
  if (result.bound) setToken(result.token)
  return result
}

async function logout() {
  try {
    if (getToken()) await request('POST', '/auth/logout', { retried401: true })
  } finally {
    setToken('')
  }
}

module.exports = {
  ApiError,
  MESSAGES,
  baseUrl,
  setBaseUrl,
  getToken,
  setToken,
  login,
  bind,
  logout,
  request,
  get: (path, params) => request('GET', path, { params }),
  post: (path, data, options = {}) => request('POST', path, { ...options, data }),
  newKey,
  fromKept,
  forgetKept,
  keptAnswer,
  KEPT_MAX_ENTRIES,
  KEPT_MAX_CHARS,
  // tests make the pauses instant
  _setSleep: (fn) => { sleep = fn },
}
