// The one wrapper around wx.request. Every page talks to the server through it.
//
// - base URL: config.apiBase, or what setBaseUrl() stored (so a tester can point the app at a server)
// - token: kept with wx.setStorageSync, sent as `Authorization: Bearer …`
// - 401: the token is dropped, wx.login runs once (one login for all calls waiting on it), the call is tried again
// - errors: the server's {"error": {"code", "message", "details"}} becomes an ApiError whose message is the
//   server's Chinese text; a failure with no answer gets a plain Chinese message of our own
// - weak networks: reads are tried again after a pause when no answer came back or the server answered 502/503/504;
//   writes carry an Idempotency-Key and are tried again (with the same key) only in those same cases
const config = require('../config')

const TOKEN_KEY = 'sv_token'
const BASE_KEY = 'sv_api_base'
const RETRY_STATUSES = [502, 503, 504]

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
  if (token) wx.setStorageSync(TOKEN_KEY, token)
  else wx.removeStorageSync(TOKEN_KEY)
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
    const retryable = failure || RETRY_STATUSES.includes(res.statusCode)
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
  const { data, params, auth = true, idempotencyKey, retried401 = false } = options
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
  const res = await sendWithRetries({ method, path: path + query(params), data: isWrite ? data || {} : undefined, header })
  if (res.statusCode === 401 && auth && !retried401) {
    setToken('')
    const r = await login()
    if (!r.bound) throw new ApiError(401, 'auth.not_bound', MESSAGES.notBound, { bind_ticket: r.bind_ticket })
    return request(method, path, { ...options, idempotencyKey: key, retried401: true })
  }
  if (res.statusCode >= 200 && res.statusCode < 300) {
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
  // tests make the pauses instant
  _setSleep: (fn) => { sleep = fn },
}
