// Shared words and helpers of the 项目 screens.
import { hasRole } from '../../session.js'

export const STEP_NAMES = ['储备', '论证', '筛选', '申报', '审批', '立项', '实施']
export const CATEGORIES = ['产业园', '光伏发电', '商铺厂房', '种养殖', '乡村旅游', '其他']
export const FUND_SOURCES = ['中央财政', '省级财政', '市级财政', '县级财政', '乡镇', '村集体自筹', '社会资本', '其他']
export const canManage = () => hasRole('secretary', 'committee')

export function todayText() {
  const d = new Date()
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

// "2026-03" → "2026年3月"; "2026-03" → "3月" when short
export function monthText(m, short = false) {
  const [y, mm] = m.split('-')
  return short ? `${Number(mm)}月` : `${y}年${Number(mm)}月`
}

// thousands separators for a yuan string: "37382.00" → "37,382.00"
export function yuan(v) {
  if (v == null) return '—'
  const [i, f] = String(v).split('.')
  return `${i.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${f ? `.${f}` : ''}`
}

// The chart a secretary reads: months on the x axis, 元 on the y axis, bars 计划 and 实际 (this month's actual so far).
export function planChartOption(months) {
  const shown = months.slice(-24)
  return {
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v == null ? '—' : `${Number(v).toLocaleString('zh-CN')} 元`) },
    legend: { data: ['计划', '实际'], top: 0 },
    grid: { left: 70, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: shown.map((m) => monthText(m.month)), axisLabel: { interval: 'auto' } },
    yAxis: { type: 'value', name: '元', axisLabel: { formatter: (v) => v.toLocaleString('zh-CN') } },
    series: [
      { name: '计划', type: 'bar', data: shown.map((m) => (m.planned == null ? null : Number(m.planned))), itemStyle: { color: '#a0cfff' } },
      { name: '实际', type: 'bar', data: shown.map((m) => (m.actual == null ? null : Number(m.actual))), itemStyle: { color: '#e6a23c' } },
    ],
  }
}
