// A write whose answer is lost on the way back (the server did it; the phone heard nothing) is tried again by
// utils/api.js with the same Idempotency-Key, and the server answers it from the first time (header
// Idempotent-Replayed): done once. Against the real API (backend/core/idempotency.py).
const h = require('./harness')

let api
beforeEach(() => {
  h.installWx({ person: 'zhangdashan' })
  api = require('../utils/api')
  api._setSleep(() => Promise.resolve()) // the pauses between tries are instant
})

// the answer to the first request `when` picks is lost after the server has done the request
function loseFirstAnswer(when) {
  const send = global.wx.request
  const answers = []
  let lost = false
  global.wx.request = (options) => {
    const lose = !lost && when(options)
    if (lose) lost = true
    return send({
      ...options,
      success: (r) => {
        answers.push({ status: r.statusCode, header: r.header, lost: lose })
        if (lose) {
          const f = { errMsg: 'request:fail timeout' }
          if (options.fail) options.fail(f)
          if (options.complete) options.complete(f)
          return
        }
        if (options.success) options.success(r)
        if (options.complete) options.complete(r)
      },
      complete: undefined,
    })
  }
  return answers
}

const consentPosts = () => h.wxState.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/me/push-consents'))

test('a consent whose answer was lost is counted once, not twice', async () => {
  const token = await h.tokenOf('zhangdashan')
  const template = `tpl-idem-${Date.now()}`
  // a reading: a keyless report adds one and tells the total
  const read = async () => {
    const r = await h.call('POST', '/me/push-consents', { token, body: { template_id: template } })
    expect(r.statusCode).toBe(200)
    return r.data.remaining
  }
  const before = await read()
  await api.get('/me') // logged in first, so the write below is the only request whose answer is lost
  const answers = loseFirstAnswer((o) => o.method === 'POST' && o.url.endsWith('/me/push-consents'))
  const r = await api.post('/me/push-consents', { template_id: template, count: 1 })
  expect(r.remaining).toBe(before + 1)
  const sent = consentPosts().filter((x) => x.header && x.header['Idempotency-Key'])
  expect(sent.length).toBe(2) // the first try (its answer lost) and the retry
  expect(sent[0].header['Idempotency-Key']).toBe(sent[1].header['Idempotency-Key'])
  expect(answers.map((a) => [a.status, a.lost])).toEqual([[200, true], [200, false]])
  expect(answers[0].header['idempotent-replayed']).toBeUndefined()
  expect(answers[1].header['idempotent-replayed']).toBe('true')
  expect(await read()).toBe(before + 2) // the app's one consent and this reading's: not the retry's
})

test('a key used for another report is refused with a Chinese sentence and changes nothing', async () => {
  const token = await h.tokenOf('zhangdashan')
  const template = `tpl-idem-other-${Date.now()}`
  await api.post('/me/push-consents', { template_id: template, count: 1 }, { idempotencyKey: 'mp-test-reused' })
  let err = null
  try {
    await api.post('/me/push-consents', { template_id: template, count: 3 }, { idempotencyKey: 'mp-test-reused' })
  } catch (e) {
    err = e
  }
  expect(err && err.status).toBe(422)
  expect(err.code).toBe('idempotency.key_reused')
  expect(err.message).toMatch(/[\u4e00-\u9fa5]/)
  const r = await h.call('POST', '/me/push-consents', { token, body: { template_id: template } })
  expect(r.data.remaining).toBe(2) // 1 from the first report, 1 from this reading
})
