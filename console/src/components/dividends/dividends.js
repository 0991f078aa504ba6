// Shared bits of the 分红 screens: who may change things, and the register's event kinds in plain words.
import { hasRole } from '../../session.js'

export const canManage = () => hasRole('secretary', 'accountant', 'township_accountant')

// the kinds a person records by hand (初始登记 comes from the import)
export const EVENT_KINDS = [
  { value: 'adjust', label: '调整（入股、退股、更正）', changes: true },
  { value: 'transfer', label: '转让（集体内部）', changes: true },
  { value: 'inherit', label: '继承（去世成员的股份由继承人取得）', changes: true, deceased: true },
  { value: 'birth', label: '出生', member: true },
  { value: 'death', label: '死亡', member: true },
  { value: 'marry_in', label: '婚入', member: true },
  { value: 'marry_out', label: '婚出', member: true },
]

export const STATUS_TYPES = { draft: 'info', computed: 'warning', published: 'warning', paying: '', paid: 'success', cancelled: 'info' }

export function todayInChina() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
}

export function fen(yuanText) {
  if (yuanText === null || yuanText === undefined || yuanText === '') return 0
  const s = String(yuanText)
  const neg = s.startsWith('-')
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.')
  const v = Number(i) * 100 + Number((f + '00').slice(0, 2))
  return neg ? -v : v
}

export function yuanOf(fenValue) {
  const neg = fenValue < 0
  const a = Math.abs(fenValue)
  return `${neg ? '-' : ''}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
}
