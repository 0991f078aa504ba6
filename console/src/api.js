// The one way the console talks to the API (/api/v1 on the same origin).
//   api.get(path, query?) / api.post(path, body?) / api.put / api.patch / api.del
// return the parsed JSON (null for 204) or throw ApiError {status, code, message, fields}; `fields` maps the
// body's field names to Chinese messages (the server's details.fields), for <el-form-item :error="…">.
// A 401 ends the session and goes to the log-in page, which shows the server's Chinese message.
import { session, signOut } from './session.js'

export const API_BASE = '/api/v1'

export class ApiError extends Error {
  constructor(status, code, message, fields = {}, details = null) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields || {}
    this.details = details
  }
}

let onUnauthorized = () => {}
// main.js hands in what to do on a 401 (go to the log-in page); kept out of here to avoid an import cycle
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn
}

function flattenFields(fields) {
  // details.fields may be {name: "msg"} or {name: ["msg", …]} or nested {lines: {0: {amount: [...]}}}
  const out = {}
  const walk = (value, prefix) => {
    if (value == null) return
    if (typeof value === 'string') {
      out[prefix] = out[prefix] ? `${out[prefix]}；${value}` : value
    } else if (Array.isArray(value)) {
      if (value.every((v) => typeof v === 'string')) out[prefix] = value.join('；')
      else value.forEach((v, i) => walk(v, prefix ? `${prefix}.${i}` : String(i)))
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k)
    }
  }
  walk(fields, '')
  return out
}

function qs(query) {
  if (!query) return ''
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x))
    else p.append(k, v)
  }
  const s = p.toString()
  return s ? `?${s}` : ''
}

export async function request(method, path, { query, body } = {}) {
  const headers = { Accept: 'application/json' }
  // the log-in page's own calls go without a token: a stale one left in storage must not make logging in fail
  const loggingIn = /^\/auth\/(console-tickets(\/[^/?]+)?|demo-console-logins?)(\?|$)/.test(path)
  if (session.token && !loggingIn) headers.Authorization = `Bearer ${session.token}`
  let payload
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  }
  let res
  try {
    res = await fetch(`${API_BASE}${path}${qs(query)}`, { method, headers, body: payload })
  } catch {
    throw new ApiError(0, 'network', '无法连接到服务器，请检查网络后重试')
  }
  if (res.status === 204) return null
  let data = null
  const text = await res.text()
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (res.ok) return data
  const err = data?.error || {}
  const message = err.message || defaultMessage(res.status)
  const apiError = new ApiError(res.status, err.code || `http.${res.status}`, message, flattenFields(err.details?.fields), err.details)
  if (res.status === 401 && session.token) {
    signOut(message)
    onUnauthorized(message)
  }
  throw apiError
}

function defaultMessage(status) {
  if (status === 401) return '登录已失效，请重新扫码登录'
  if (status === 403) return '您没有权限查看此内容'
  if (status === 404) return '找不到该内容，可能已被删除或不属于您管理的村'
  if (status === 429) return '操作太频繁，请稍后再试'
  if (status >= 500) return '服务器出了点问题，请稍后再试'
  return '请求没有成功，请稍后再试'
}

// The sentence a page shows in place of its content when loading fails (never a blank screen).
export function pageMessage(err) {
  if (err?.status === 403) return '您没有权限查看此内容'
  if (err?.status === 404) return '找不到该内容，可能已被删除或不属于您管理的村'
  return err?.message || '加载失败，请稍后再试'
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body) => request('POST', path, { body }),
  put: (path, body) => request('PUT', path, { body }),
  patch: (path, body) => request('PATCH', path, { body }),
  del: (path, body) => request('DELETE', path, { body }),
}

// A file (PDF, .xlsx) by one click: ask the API for a short-lived signed link (no token in it), then open it.
// `path` is relative to /api/v1, e.g. `/townships/1/report.xlsx?year=2026&month=5`.
export async function download(path) {
  const { url } = await api.post('/download-links', { path: `${API_BASE}${path}` })
  window.location.assign(url)
  return url
}

export default api
