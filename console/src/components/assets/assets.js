// Shared words and helpers of the 三资 screens (资产、资源、资金 and 清产核资).
import { hasRole } from '../../session.js'

export const KEEPERS = ['secretary', 'accountant', 'township_accountant']
export const READERS = [...KEEPERS, 'committee', 'supervisor', 'township_staff']
export const canKeep = () => hasRole(...KEEPERS)

export const KINDS = { asset: '资产', resource: '资源', fund: '资金' }
export const CATEGORIES = {
  asset: ['房屋及建筑物', '门面商铺', '机器设备', '交通运输工具', '基础设施', '生物资产', '公益性资产', '其他'],
  resource: ['耕地', '园地', '林地', '草地', '水面', '四荒地', '建设用地', '其他'],
  fund: ['银行存款', '库存现金'],
}
export const STATUSES = { in_use: '在用', leased: '出租', idle: '闲置', disposed: '已处置' }
export const STATUS_TAGS = { in_use: 'success', leased: 'primary', idle: 'warning', disposed: 'info' }
export const ACQUIRED = { built: '自建', bought: '购置', state: '国家划拨/转移', donated: '接受捐赠', other: '其他' }
export const DISPOSALS = { sale: '出售', write_off: '报废/核销', transfer: '无偿调出' }
export const HIDEABLE = { location: '位置', quantity: '数量', area: '面积', original_value: '原值', book_value: '账面价值', acquired: '取得方式和时间', lessee: '承租方', photos: '照片' }
export const LINE_RESULTS = { confirmed: '账实相符', corrected: '更正', missing: '盘亏', found: '盘盈' }
export const FIELD_NAMES = {
  name: '名称', category: '类别', location: '位置', quantity: '数量', unit: '单位', area_mu4: '面积', original_fen: '原值',
  book_fen: '账面价值', acquired_how: '取得方式', acquired_on: '取得日期', status: '状态', status_since: '状态起始日',
  parcel_id: '关联地块', bank_name: '开户银行', account_last4: '账号后4位', ledger_code: '会计科目', photos: '照片',
  hidden_fields: '不公开的字段', note: '备注', vouchers: '凭证', code: '编号', result: '核对结果', disposal_kind: '处置方式',
  disposed_on: '处置日期',
}

// "1234.5" / "1234.50" / "1234": yuan with at most two decimals; '' is allowed where the field is optional
export function yuanError(text, required = false) {
  const s = String(text ?? '').trim()
  if (!s) return required ? '请填写金额（元）' : ''
  return /^\d{1,12}(\.\d{1,2})?$/.test(s) ? '' : '金额应为元，最多两位小数，如 1234.50'
}

export function muError(text, required = false) {
  const s = String(text ?? '').trim()
  if (!s) return required ? '请填写面积（亩）' : ''
  return /^\d{1,7}(\.\d{1,4})?$/.test(s) && Number(s) > 0 ? '' : '面积应为以亩计的数字，最多4位小数，如 12.5'
}

export function yuanText(v) {
  if (v === null || v === undefined || v === '') return '—'
  const [w, f = '00'] = String(v).split('.')
  return `${w.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${f.padEnd(2, '0')}`
}

// a value of the history (fen, statuses, dates) in words
export function eventValue(key, v) {
  if (v === null || v === undefined || v === '') return '—'
  if (key.endsWith('_fen')) return `${yuanText((Number(v) / 100).toFixed(2))} 元`
  if (key === 'area_mu4') return `${Number(v) / 10000} 亩`
  if (key === 'status') return STATUSES[v] || v
  if (key === 'acquired_how') return ACQUIRED[v] || v
  if (key === 'disposal_kind') return DISPOSALS[v] || (v === 'missing' ? '盘亏' : v)
  if (key === 'result') return LINE_RESULTS[v] || v
  if (key === 'hidden_fields') return v.length ? v.map((h) => HIDEABLE[h] || h).join('、') : '全部公开'
  if (Array.isArray(v)) return v.join('、') || '—'
  return String(v)
}

export function fieldErrors(err) {
  const out = { ...(err.fields || {}) }
  if (err.details?.field && !out[err.details.field]) out[err.details.field] = err.message
  return out
}
