// The roster screens' shared words and helpers: Chinese labels of the API's values, whether the person keeps the
// roster of the current village, an .xlsx upload (multipart: api.js speaks JSON only), today's date.
import { ApiError, API_BASE } from '../../api.js'
import { session } from '../../session.js'

export const RELATIONS = ['户主', '配偶', '子女', '儿媳', '女婿', '孙子女', '父母', '兄弟姐妹', '其他']
export const STATUS_LABELS = { active: '在册', moved_out: '迁出', deceased: '已故', ended: '已注销' }
export const END_REASONS = { moved_out: '迁出', deceased: '死亡', other: '其他原因' }
export const GENDERS = { M: '男', F: '女' }
// the appointments a secretary records (the township appoints the secretary and the agency accountant)
export const APPOINTED_ROLES = ['representative', 'member_representative', 'group_leader', 'party_member']
export const ROLE_LABELS = {
  representative: '村民代表',
  member_representative: '成员代表',
  group_leader: '村民小组长',
  party_member: '党员',
  secretary: '村党组织书记',
  committee: '村委委员',
  accountant: '会计',
  supervisor: '村务监督委员',
  township_accountant: '镇（乡）代理会计',
}
export const ROLE_HINTS = {
  representative: '村民代表会议的成员（村民委员会组织法）',
  member_representative: '成员代表大会的成员，须是本村集体经济组织成员；应多于 20 人（农村集体经济组织法第二十八条）',
  group_leader: '村民小组的组长',
  party_member: '由村党组织登记的党员',
}

// The secretary (or township staff) of the current village keeps its roster; the others read it.
export function keepsRoster() {
  const vid = session.villageId
  return (session.user?.scopes || []).some(
    (s) => (s.role === 'secretary' && (s.village_ids || []).includes(vid)) || s.role === 'township_staff',
  )
}

export function today() {
  const d = new Date()
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

// POST an .xlsx as multipart/form-data; the answer as api.js gives it (JSON, or ApiError with .details).
export async function uploadXlsx(path, file, fields = {}) {
  const form = new FormData()
  form.append('file', file)
  for (const [k, v] of Object.entries(fields)) form.append(k, v)
  const headers = { Accept: 'application/json' }
  if (session.token) headers.Authorization = `Bearer ${session.token}`
  let res
  try {
    res = await fetch(`${API_BASE}${path}`, { method: 'POST', headers, body: form })
  } catch {
    throw new ApiError(0, 'network', '无法连接到服务器，请检查网络后重试')
  }
  let data = null
  try {
    data = await res.json()
  } catch {
    data = null
  }
  if (res.ok) return data
  const err = data?.error || {}
  throw new ApiError(res.status, err.code || `http.${res.status}`, err.message || '上传没有成功，请稍后再试', {}, err.details)
}
