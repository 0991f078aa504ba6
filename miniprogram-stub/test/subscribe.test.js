// Asking for subscribe-message consent (utils/subscribe.js) at each moment, against the real API, in 新竹村 (its own
// vote and posting, so nothing another test counts changes): after casting a ballot ("投票结果出来时通知我"), on the
// notices page, on the dividends page, when applying for a job. Each template accepted is reported to
// POST /me/push-consents (checked through the API); a refusal, WeChat failing, or no network never shows an error
// and never stops the ballot or the application.
const h = require('./harness')

const phone = (person) => h.signedIn(person)
const tokenOf = (person) => h.tokenOf(person)

const xz = {}

function iso(ms) {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}

// the app's reports (its writes carry an Idempotency-Key; this test's own readings through h.call do not)
const consentPosts = () => h.wxState.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/me/push-consents') &&
  r.header && r.header['Idempotency-Key'])

// the consents the server holds for (person, template): one more is added by asking, so compare two readings
async function consentsNow(person, templateId) {
  const r = await h.call('POST', '/me/push-consents', { token: await tokenOf(person), body: { template_id: templateId } })
  expect(r.statusCode).toBe(200)
  return r.data.remaining - 1
}

const acceptAll = (ids) => Object.fromEntries(ids.map((id) => [id, 'accept']))

// nothing went wrong on the page: no error line, no modal, no toast
function calm(page, modalsBefore = 0) {
  expect(page.data.error || '').toBe('')
  expect(page.data.actionError || '').toBe('')
  expect(h.wxState.modals.length).toBe(modalsBefore)
  expect(h.wxState.toasts).toEqual([])
}

beforeAll(async () => {
  xz.zhouhai = await tokenOf('zhouhai')
  const templates = await h.call('GET', '/me/push-templates', { token: xz.zhouhai })
  expect(templates.statusCode).toBe(200)
  xz.moments = templates.data.moments
  expect(xz.moments.vote.length).toBeGreaterThan(0)
  expect(xz.moments.vote.length).toBeLessThanOrEqual(3)
  const me = await h.call('GET', '/me', { token: xz.zhouhai })
  xz.village = me.data.village.id
  const d = await h.call('POST', `/villages/${xz.village}/decisions`, {
    token: xz.zhouhai,
    body: { title: '新竹村文化活动室修缮', category: 'project', origin: '党员群众建议', amount: '8000.00' },
  })
  expect(d.statusCode).toBe(201)
  await h.advanceToResolution(d.data.id, xz.zhouhai)
  const v = await h.call('POST', `/decisions/${d.data.id}/votes`, {
    token: xz.zhouhai,
    body: { stage: '决议', body: 'villagers_meeting', title: '活动室修缮表决', opens_at: iso(Date.now() - 60000),
      closes_at: iso(Date.now() + 7 * 24 * 3600 * 1000) },
  })
  expect(v.statusCode).toBe(201)
  xz.vote = v.data.id
  const posting = async (title) => {
    const r = await h.call('POST', `/villages/${xz.village}/job-postings`, {
      token: xz.zhouhai,
      body: { title, category: '保洁', positions: 1, monthly_wage: '500.00', apply_from: iso(Date.now() - 3600000),
        apply_until: iso(Date.now() + 7 * 24 * 3600 * 1000) },
    })
    expect(r.statusCode).toBe(201)
    return r.data.id
  }
  xz.postingA = await posting('活动室保洁员')
  xz.postingB = await posting('村口护路员')
})

describe('after casting a ballot', () => {
  test('no button before voting; after it, "投票结果出来时通知我" asks for the vote’s templates; a refusal changes nothing', async () => {
    await phone('zhouhai')
    const page = await h.openPage('vote', { id: String(xz.vote) })
    expect(page.data.error).toBe('')
    expect(h.has(page, '.notify-me')).toBe(false)
    expect(h.wxState.subscribes).toEqual([]) // never asked on its own: WeChat wants a tap
    await page.instance.onChoose({ currentTarget: { dataset: { choice: 'agree' } } })
    expect(h.text(page, '.voted')).toBe('投票成功，您投的是：同意')
    const modals = h.wxState.modals.length // the ballot's confirmation
    expect(h.text(page, '.notify-me')).toBe('投票结果出来时通知我')

    h.wxState.subscribeAnswer = null // every template rejected
    await h.tap(page, '.notify-me')
    await h.until(() => h.wxState.subscribes.length === 1)
    expect(h.wxState.subscribes[0].tmplIds).toEqual(xz.moments.vote)
    await h.settle()
    expect(consentPosts()).toEqual([])
    expect(h.has(page, '.notify-me')).toBe(true) // still there to tap again
    calm(page, modals)
    expect(h.text(page, '.receipt')).toBe(h.wxState.store.get(`sv_receipt_${xz.vote}`)) // the ballot stands

    // WeChat refuses (messages switched off, no tap): the same — nothing shown, nothing sent
    h.wxState.subscribeAnswer = 'fail'
    await h.tap(page, '.notify-me')
    await h.until(() => h.wxState.subscribes.length === 2)
    await h.settle()
    expect(consentPosts()).toEqual([])
    calm(page, modals)
  })

  test('each accepted template is reported once to POST /me/push-consents, and the page says so', async () => {
    await phone('zhouhai')
    const page = await h.openPage('vote', { id: String(xz.vote) })
    expect(h.text(page, '.who')).toBe('您已经投过票了')
    const [first, ...others] = xz.moments.vote
    const before = await consentsNow('zhouhai', first)
    const othersBefore = await Promise.all(others.map((id) => consentsNow('zhouhai', id)))
    // accept the result's template, reject or ban the rest
    h.wxState.subscribeAnswer = (ids) => Object.fromEntries(ids.map((id, i) => [id, i === 0 ? 'accept' : 'ban']))
    const accepted = await page.instance.onNotifyMe()
    expect(accepted).toEqual([first])
    expect(consentPosts().map((r) => r.status)).toEqual([200])
    expect(h.text(page, '.notify-done')).toBe('好的，投票结果出来时会通知您')
    expect(h.has(page, '.notify-me')).toBe(false)
    expect(await consentsNow('zhouhai', first)).toBe(before + 2) // the app's one, and the reading's own
    expect(await Promise.all(others.map((id) => consentsNow('zhouhai', id)))).toEqual(othersBefore.map((n) => n + 1))
    // the templates were kept for the session: the tap asked no server before WeChat's dialog
    expect(h.wxState.requests.filter((r) => r.url.endsWith('/me/push-templates'))).toHaveLength(1) // the page's load
  })
})

describe('on the notices and dividends pages', () => {
  test('notices: "有新通知时提醒我" asks for the notice templates and reports those accepted', async () => {
    await phone('zhouhai')
    const page = await h.openPage('notices')
    expect(page.data.error).toBe('')
    expect(h.text(page, '.notify-me')).toBe('有新通知时提醒我')
    const notice = xz.moments.notices[0]
    const before = await consentsNow('zhouhai', notice)
    h.wxState.subscribeAnswer = acceptAll
    await h.tap(page, '.notify-me')
    await h.until(() => h.has(page, '.notify-done'))
    expect(h.wxState.subscribes.map((s) => s.tmplIds)).toEqual([xz.moments.notices])
    expect(consentPosts().map((r) => r.status)).toEqual(xz.moments.notices.map(() => 200))
    expect(h.text(page, '.notify-done')).toBe('好的，有新通知时会提醒您')
    expect(await consentsNow('zhouhai', notice)).toBe(before + 2)
    calm(page)
  })

  test('dividends: "分红公示和发放时通知我"; WeChat failing, or no network, shows nothing and changes nothing', async () => {
    await phone('zhouhai')
    h.wxState.dropWhen = (o) => o.url.endsWith('/me/push-templates') // the templates cannot be fetched at all
    const page = await h.openPage('dividends')
    expect(page.data.error).toBe('')
    expect(h.text(page, '.notify-me')).toBe('分红公示和发放时通知我')
    const items = page.data.items
    expect(await page.instance.onNotifyMe()).toEqual([]) // nothing to ask for: no dialog, no error
    expect(h.wxState.subscribes).toEqual([])
    calm(page)
    h.wxState.dropWhen = null
    h.wxState.subscribeAnswer = 'fail'
    expect(await page.instance.onNotifyMe()).toEqual([])
    expect(h.wxState.subscribes.map((s) => s.tmplIds)).toEqual([xz.moments.dividends])
    expect(consentPosts()).toEqual([])
    expect(page.data.items).toEqual(items)
    expect(h.has(page, '.notify-me')).toBe(true)
    calm(page)
    h.wxState.subscribeAnswer = acceptAll
    expect(await page.instance.onNotifyMe()).toEqual(xz.moments.dividends)
    expect(h.text(page, '.notify-done')).toBe('好的，分红公示和发放时会通知您')
  })
})

describe('when applying for a job', () => {
  test('吴强 applies: asked for the outcome’s template beside the application; accepting reports it', async () => {
    await phone('wuqiang')
    const page = await h.openPage('job', { id: String(xz.postingA) })
    expect(page.data.error).toBe('')
    expect(h.text(page, '.can-apply')).toBe('您可以报名')
    const template = xz.moments.job_apply[0]
    const before = await consentsNow('wuqiang', template)
    h.wxState.subscribeAnswer = acceptAll
    await page.instance.onApply()
    const posts = h.wxState.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/applications'))
    expect(posts.map((r) => r.status)).toEqual([201])
    await h.until(() => consentPosts().length === 1)
    expect(h.wxState.subscribes.map((s) => s.tmplIds)).toEqual([xz.moments.job_apply])
    expect(consentPosts()[0].status).toBe(200)
    expect(await consentsNow('wuqiang', template)).toBe(before + 2)
    expect(page.data.receipt).toBeTruthy()
    expect(page.data.actionError).toBe('')
  })

  test('a refusal or WeChat failing never stops the application nor shows an error', async () => {
    await phone('wuqiang')
    const page = await h.openPage('job', { id: String(xz.postingB) })
    expect(h.text(page, '.can-apply')).toBe('您可以报名')
    h.wxState.subscribeAnswer = 'fail'
    const r = await page.instance.onApply()
    expect(r && r.receipt).toBeTruthy()
    await h.until(() => h.wxState.subscribes.length === 1)
    await h.settle()
    expect(consentPosts()).toEqual([])
    expect(page.data.actionError).toBe('')
    expect(page.data.canApply).toBe(false)
    expect(h.wxState.modals).toHaveLength(1) // the application's own confirmation, nothing more
    expect(h.wxState.toasts).toEqual([])
    const mine = await h.call('GET', '/me/job-applications', { token: await tokenOf('wuqiang') })
    expect(mine.data.items.map((a) => a.posting.id)).toEqual(expect.arrayContaining([xz.postingA, xz.postingB]))
  })
})
