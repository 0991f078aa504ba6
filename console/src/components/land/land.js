// Shared words and helpers of the 土地 screens.
import { API_BASE, ApiError, request } from '../../api.js'
import { session, hasRole } from '../../session.js'

export const KEEPERS = ['secretary', 'accountant', 'township_accountant']
export const canKeep = () => hasRole(...KEEPERS)

export const PARCEL_KINDS = { contracted: '农户承包地', collective_land: '集体土地', collective_asset: '集体资产' }
export const LAND_TYPES = ['耕地', '园地', '林地', '草地', '养殖水面', '设施农用地', '其他']
export const CONTRACT_KINDS = { transfer: '土地流转', lease: '集体资产出租' }
export const PARTY_KINDS = { company: '公司', cooperative: '合作社', family_farm: '家庭农场', person: '个人', other: '其他' }
export const USES = ['粮食种植', '蔬菜种植', '经济作物', '果树种植', '茶叶种植', '水产养殖', '畜禽养殖', '设施农业', '苗木花卉', '中药材']
export const DUE_STATUS = {
  paid: { text: '已付清', type: 'success' },
  partly_paid: { text: '付了一部分', type: 'warning' },
  due: { text: '未到期', type: 'info' },
  overdue: { text: '逾期未付清', type: 'danger' },
  unpriced: { text: '租金待定', type: 'info' },
}
export const PAYOUT_STATUS = {
  pending: { text: '待转付', type: 'danger' },
  in_batch: { text: '已列入代发，待银行回单', type: 'warning' },
  passed_on: { text: '已转付', type: 'success' },
}
export const METHODS = { bank: '银行转账', cash: '现金' }

export function todayText() {
  const d = new Date()
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

// A key for one attempt of a write (a retry of the same click replays it instead of writing twice).
export function newKey(prefix) {
  const rnd = globalThis.crypto?.randomUUID ? globalThis.crypto.randomUUID() : `${Date.now()}-${Math.random()}`
  return `${prefix}-${rnd}`.slice(0, 80)
}

// POST with an Idempotency-Key (api.js's request sends no custom headers): the same errors as api.post.
export async function postOnce(path, body, key) {
  const headers = { Accept: 'application/json', 'Content-Type': 'application/json', 'Idempotency-Key': key }
  if (session.token) headers.Authorization = `Bearer ${session.token}`
  let res
  try {
    res = await fetch(`${API_BASE}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
  } catch {
    throw new ApiError(0, 'network', '无法连接到服务器，请检查网络后重试')
  }
  const data = await res.json().catch(() => null)
  if (res.ok) return data
  if (res.status === 401) return request('POST', path, { body }) // lets api.js end the session as everywhere
  const err = data?.error || {}
  const fields = {}
  for (const [k, v] of Object.entries(err.details?.fields || {})) fields[k] = Array.isArray(v) ? v.join('；') : String(v)
  if (err.details?.field && !fields[err.details.field]) fields[err.details.field] = err.message
  throw new ApiError(res.status, err.code || `http.${res.status}`, err.message || '请求没有成功，请稍后再试', fields, err.details)
}

// An ApiError's message for one form field: the server names it in details.field (a rule) or details.fields
// (a malformed value).
export function fieldErrors(err) {
  const out = { ...(err.fields || {}) }
  if (err.details?.field && !out[err.details.field]) out[err.details.field] = err.message
  return out
}
