// The logged-in person, kept in sessionStorage (one browser tab = one session; closing the tab logs out locally).
// session.user is the /me shape: {person_id, name, member, village, township, roles, scopes:[{role, village_ids, township_id}]}
import { reactive, watch } from 'vue'

const KEY = 'sunshine-console-session'

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null') || {}
  } catch {
    return {}
  }
}

const saved = load()
export const session = reactive({
  token: saved.token || null,
  expiresAt: saved.expiresAt || null,
  user: saved.user || null,
  villageId: saved.villageId || null,
  townshipId: saved.townshipId || null,
  // the Chinese sentence the log-in page shows after a 401 (set by api.js), then cleared
  notice: saved.notice || '',
})

watch(session, (s) => {
  sessionStorage.setItem(KEY, JSON.stringify(s))
}, { deep: true })

// the roles that open the console (the API's staff roles)
export const STAFF_ROLES = ['secretary', 'committee', 'accountant', 'supervisor', 'township_staff', 'township_accountant']

// the same words as the API's (backend/core/permissions.py ROLE_LABELS)
export const ROLE_LABELS = {
  secretary: '村党组织书记',
  committee: '村委委员',
  accountant: '会计',
  supervisor: '村务监督委员',
  township_staff: '镇（乡）工作人员',
  township_accountant: '镇（乡）代理会计',
  villager: '村民',
  member: '集体经济组织成员',
  representative: '村民代表',
  party_member: '党员',
  member_representative: '成员代表',
  group_leader: '村民小组长',
}

export function roleLabel(role) {
  return ROLE_LABELS[role] || role
}

// A session past its expiry (8 hours at most) is over: signed out here, with the API's own sentence, so the log-in
// page shows instead of a console whose every call would be refused.
export function isLoggedIn() {
  if (session.token && session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) {
    signOut('登录已过期，请重新登录')
    return false
  }
  return !!(session.token && session.user)
}

export function hasRole(...roles) {
  const mine = session.user?.roles || []
  return roles.some((r) => mine.includes(r))
}

// The ids of the villages the person serves (from user.scopes; a township staff scope holds the township).
export function villagesServed() {
  const ids = new Set()
  for (const s of session.user?.scopes || []) {
    for (const id of s.village_ids || []) ids.add(id)
  }
  if (ids.size === 0 && session.user?.village?.id) ids.add(session.user.village.id)
  return [...ids].sort((a, b) => a - b)
}

export function setVillage(id) {
  session.villageId = id == null ? null : Number(id)
}

export function signIn({ token, expires_at: expiresAt, user }) {
  session.token = token
  session.expiresAt = expiresAt || null
  session.user = user
  session.notice = ''
  session.townshipId = user?.township?.id || user?.scopes?.find((s) => s.township_id)?.township_id || null
  const served = villagesServed()
  session.villageId = user?.village?.id && served.includes(user.village.id) ? user.village.id : served[0] || null
}

export function signOut(notice = '') {
  session.token = null
  session.expiresAt = null
  session.user = null
  session.villageId = null
  session.townshipId = null
  session.notice = notice
}
