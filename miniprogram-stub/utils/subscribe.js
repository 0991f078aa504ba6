// Asking a villager whether they want to be told (WeChat subscribe messages), at the moment they would want it:
// after casting a ballot ('vote'), on the notices page ('notices'), when applying for a job ('job_apply'), on the
// dividends page ('dividends'), after an objection ('objection').
//
// - which templates each moment asks for comes from GET /me/push-templates (at most three: WeChat's limit), kept in
//   storage (sv_push_templates) for the session, so that the tap that asks does not wait for the network: WeChat
//   shows its consent dialog only when wx.requestSubscribeMessage is called from a tap. A page calls prefetch() when
//   it loads, and ask(moment) from a tap handler.
// - each template the person accepts is reported to POST /me/push-consents (one consent = one message).
// - it never blocks or breaks what the person was doing: every failure (no network, WeChat refuses, the person
//   says no or has switched messages off) is swallowed; ask() resolves with the template ids accepted, [] otherwise.
const api = require('./api')

const CACHE_KEY = 'sv_push_templates'
const SESSION_MS = 12 * 3600 * 1000 // a day's use of the app; templates change only with a new release

let memory = null // { at, moments } of this run of the app

function cached() {
  if (memory) return memory.moments
  let kept = null
  try {
    kept = wx.getStorageSync(CACHE_KEY)
  } catch (e) {
    kept = null
  }
  if (kept && kept.moments && typeof kept.at === 'number' && Date.now() - kept.at < SESSION_MS) {
    memory = kept
    return kept.moments
  }
  return null
}

// the moments' templates, from the cache or the server; null when neither has them (never throws)
async function templates() {
  const have = cached()
  if (have) return have
  try {
    const r = await api.get('/me/push-templates')
    if (!r || !r.moments) return null
    memory = { at: Date.now(), moments: r.moments }
    try { wx.setStorageSync(CACHE_KEY, memory) } catch (e) { /* storage full: memory is enough */ }
    return r.moments
  } catch (e) {
    return null
  }
}

// fetch the templates ahead of the tap (a page's onLoad); resolves true when they are at hand
async function prefetch() {
  return !!(await templates())
}

function requestSubscribe(tmplIds) {
  return new Promise((resolve) => {
    if (typeof wx.requestSubscribeMessage !== 'function') {
      resolve(null)
      return
    }
    try {
      wx.requestSubscribeMessage({
        tmplIds,
        success: (r) => resolve(r || null),
        fail: () => resolve(null), // refused by WeChat (no tap, messages switched off, too many ids …)
      })
    } catch (e) {
      resolve(null)
    }
  })
}

// Ask for the moment's templates; report each one accepted. Call it from a tap handler, and do not wait for it
// before doing what the person asked for.
async function ask(moment) {
  try {
    const moments = await templates()
    const ids = ((moments && moments[moment]) || []).filter((x) => typeof x === 'string' && x).slice(0, 3)
    if (!ids.length) return []
    const result = await requestSubscribe(ids)
    if (!result) return []
    const accepted = ids.filter((id) => result[id] === 'accept')
    const reported = []
    for (const id of accepted) {
      try {
        await api.post('/me/push-consents', { template_id: id, count: 1 })
        reported.push(id)
      } catch (e) {
        // not recorded: the message will not be sent, and nothing else is affected
      }
    }
    return reported
  } catch (e) {
    return []
  }
}

module.exports = {
  ask,
  prefetch,
  CACHE_KEY,
  // tests start each run of the app afresh
  _forget: () => { memory = null },
}
