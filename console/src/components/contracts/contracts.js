// Shared words and helpers of the 合同登记 screens.
import { hasRole } from '../../session.js'

export const KEEPERS = ['secretary', 'accountant', 'township_accountant']
export const canKeep = () => hasRole(...KEEPERS)
export const KINDS = { service: '服务', construction: '工程施工', purchase: '采购', asset_lease: '资产出租', other: '其他' }
export const LAND_KINDS = { transfer: '土地流转', lease: '集体土地资产出租' }
export const DIRECTIONS = { income: '收入（集体收款）', expense: '支出（集体付款）' }
export const STATUSES = { active: '履行中', ended: '已到期', terminated: '已终止' }
export const STATUS_TYPES = { active: 'success', ended: 'info', terminated: 'danger' }
export const METHODS = { bank: '银行转账', cash: '现金' }
export const WARN_DAYS = 90

// "1234.5" → fen as an integer, or null when it is not an amount of yuan with at most two decimals
export function toFen(text) {
  const s = String(text ?? '').trim().replace(/,/g, '')
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return null
  const [i, f = ''] = s.split('.')
  return Number(i) * 100 + Number((f + '00').slice(0, 2))
}

export function fenText(fen) {
  const neg = fen < 0
  const a = Math.abs(fen)
  return `${neg ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}

export function daysText(days) {
  if (days === null || days === undefined) return '—'
  if (days < 0) return `已过期 ${-days} 天`
  if (days === 0) return '今天到期'
  return `${days} 天`
}
