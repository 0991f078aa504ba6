// Showing the API's values: money is a yuan string "123456.50" → "123,456.50"; dates as the clerk reads them.
export function yuan(value) {
  if (value === null || value === undefined || value === '') return '—'
  const s = String(value)
  const neg = s.startsWith('-')
  const [int, frac] = (neg ? s.slice(1) : s).split('.')
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${neg ? '-' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`
}

export function num(value) {
  return value === null || value === undefined || value === '' ? 0 : Number(value)
}

export function dateTime(iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return String(iso)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

export function dateOnly(iso) {
  if (!iso) return '—'
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso
  return dateTime(iso).slice(0, 10)
}
