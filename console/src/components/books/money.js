// Amounts as the accountant types them, checked as typed: yuan with at most two decimals, more than zero.
// Sums are kept in integer fen (never floats), and shown back as yuan.

// '' → null (empty); a valid amount → its fen; anything else → undefined (invalid)
export function toFen(text) {
  const s = String(text ?? '').trim().replace(/,/g, '')
  if (s === '') return null
  const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(s)
  if (!m) return undefined
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'))
}

// the sentence under an amount field while it is not valid ('' when it is fine or empty)
export function amountProblem(text) {
  const s = String(text ?? '').trim().replace(/,/g, '')
  if (s === '') return ''
  if (/^-/.test(s)) return '金额不能为负数'
  if (!/^[\d.]+$/.test(s)) return '只能填数字，例如 1200.50'
  if ((s.match(/\./g) || []).length > 1) return '小数点只能有一个'
  if (/\.\d{3,}$/.test(s)) return '最多两位小数（到分）'
  if (/^\d{14,}/.test(s)) return '金额太大'
  const fen = toFen(s)
  if (fen === undefined) return '金额格式不对，例如 1200.50'
  if (fen === 0) return '金额要大于零'
  return ''
}

export function fenToYuan(fen) {
  const neg = fen < 0
  const a = Math.abs(fen)
  const s = `${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`
  return neg ? `-${s}` : s
}

// "2026-11" → "2026年11月"
export function monthLabel(period) {
  if (!period) return ''
  return `${Number(period.slice(0, 4))}年${Number(period.slice(5, 7))}月`
}
