// Plain words and numbers for people who are not accountants.

function money(yuan) {
  // the API sends money as a string of yuan with two decimals; never do arithmetic in floats here
  if (yuan === null || yuan === undefined || yuan === '') return '—'
  const [whole, frac = '00'] = String(yuan).split('.')
  const sign = whole.startsWith('-') ? '-' : ''
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${sign}${digits}.${frac.padEnd(2, '0').slice(0, 2)} 元`
}

// "0.00", "-0.00", "" or nothing: no money on that side (the API's yuan strings, compared as text)
function isZero(yuan) {
  return !yuan || /^-?0+(\.0+)?$/.test(yuan)
}

// "2026-03-17T16:00:00+08:00" or "2026-03-17" → "2026年3月17日" (the date as written, Beijing time)
function date(iso) {
  if (!iso) return ''
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso)
  if (!m) return iso
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`
}

// "…T16:05:00+08:00" → "2026年3月17日 16:05"
function dateTime(iso) {
  if (!iso) return ''
  const t = /T(\d{2}):(\d{2})/.exec(iso)
  return t ? `${date(iso)} ${t[1]}:${t[2]}` : date(iso)
}

// any ISO moment with its offset ("…T08:05:00Z", "…T16:05:00+08:00") → "2026年3月17日 16:05" in Beijing time
function beijingDateTime(iso) {
  if (!iso) return ''
  if (/[+]08:00$/.test(iso) || !/(Z|[+-]\d{2}:?\d{2})$/.test(iso)) return dateTime(iso)
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return dateTime(iso)
  const d = new Date(t + 8 * 3600 * 1000)
  const two = (n) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`
}

// "2026-Q3" → "2026年第三季度", "2026-07" → "2026年7月"
function period(p) {
  if (!p) return ''
  const q = /^(\d{4})-Q([1-4])$/.exec(p)
  if (q) return `${q[1]}年第${'一二三四'[Number(q[2]) - 1]}季度`
  const m = /^(\d{4})-(\d{2})$/.exec(p)
  if (m) return `${m[1]}年${Number(m[2])}月`
  return p
}

const DIVIDEND_STATUS = { announced: '公示中，未发放', paid: '已发放' }
const VOTE_CHOICES = { agree: '同意', oppose: '反对', abstain: '弃权' }
const DECISION_STATUS = { in_progress: '进行中', resolved: '已通过', done: '已完成', failed: '未通过' }
const STAGE_STATUS = { pending: '还没进行', open: '正在进行', passed: '已通过', failed: '未通过' }
const APPLICATION_STATUS = {
  applied: '已报名，等待选定',
  selected: '已选中（公示中）',
  waitlisted: '候补',
  hired: '已上岗',
  withdrawn: '已撤回',
  ineligible: '不符合条件',
}
const STAGES = ['提议', '商议', '审议', '决议', '决议公开', '实施结果公开']

const RENT_STATUS = { paid: '已付清', partly_paid: '付了一部分', due: '还没到期', overdue: '已过期未付清', unpriced: '等镇里公布粮价' }

// areas like "1.20" added exactly (in ten-thousandths of a mu), never in floats → "3.2"
function sumMu(areas) {
  const total = areas.reduce((acc, a) => {
    const [w, f = ''] = String(a).split('.')
    return acc + Number(w) * 10000 + Number(`${f}0000`.slice(0, 4))
  }, 0)
  const frac = String(total % 10000).padStart(4, '0').replace(/0+$/, '')
  return frac ? `${Math.floor(total / 10000)}.${frac}` : String(Math.floor(total / 10000))
}

function label(map, key) {
  return (key && map[key]) || key || ''
}

// the first and last few characters of a seal, for reading aloud or comparing with the paper board
function shortSeal(hash) {
  if (!hash) return ''
  return `${hash.slice(0, 8)}…${hash.slice(-8)}`
}

module.exports = {
  money, isZero, date, dateTime, beijingDateTime, period, label, shortSeal, sumMu, RENT_STATUS,
  DIVIDEND_STATUS, VOTE_CHOICES, DECISION_STATUS, STAGE_STATUS, APPLICATION_STATUS, STAGES,
}
