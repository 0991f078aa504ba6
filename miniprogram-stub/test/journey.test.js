// One villager's whole first visit, page by page, as the app itself navigates: a new WeChat account opens the app →
// binding (phone number) → home → dividends → the open vote → the receipt. The villager is a 临江村 representative
// who has not used the app before (DEMO.md's 陈桂兰 is left to the other tests).
const h = require('./harness')

let voter // { name, phone, personId }
beforeAll(async () => {
  const token = await h.tokenFor('wangjianguo') // the secretary reads the roster to find a representative
  const roles = (await h.call('GET', '/villages/1/roles?page_size=100', { token })).data.items
  const reps = new Map(roles.filter((r) => r.role === 'representative' && r.current).map((r) => [r.person_id, r.name]))
  const members = []
  for (let page = 1; ; page += 1) {
    const r = (await h.call('GET', `/villages/1/members?page_size=100&page=${page}`, { token })).data
    members.push(...r.items)
    if (members.length >= r.total || !r.items.length) break
  }
  const candidates = members
    .filter((m) => reps.has(m.person_id) && m.phone && m.name !== '陈桂兰')
    .sort((a, b) => b.person_id - a.person_id)
  expect(candidates.length).toBeGreaterThan(0)
  // lists show phones masked (138****5678); the single entry shows it in full to whoever keeps the roster
  const entry = await h.call('GET', `/members/${candidates[0].id}`, { token })
  expect(entry.data.phone).toMatch(/^\d{11}$/)
  voter = { name: candidates[0].name, phone: entry.data.phone, personId: candidates[0].person_id }
})

test('new account → bind by phone → home → dividends → vote → receipt', async () => {
  h.installWx({ person: `journey-${voter.personId}` })

  // 1. the app opens on home; nobody is bound to this WeChat account yet, so it goes to binding
  const first = await h.openPage('home')
  expect(first.data.error).toBe('') // no error shown: the app moves on to binding
  let nav = h.wxState.navigations.at(-1)
  expect(nav.kind).toBe('reLaunch')
  expect(nav.url).toMatch(/^\/pages\/login\/login\?ticket=/)

  // 2. binding with the phone number WeChat vouches for
  const { page: login } = await h.follow()
  expect(login.data.ticket).toBeTruthy()
  await login.instance.onPhoneNumber({ detail: { code: `phone-${voter.phone}` } })
  nav = h.wxState.navigations.at(-1)
  expect(nav).toEqual({ kind: 'reLaunch', url: '/pages/home/home' })

  // 3. home: who, where, this year's money, and the open vote waiting for this representative
  const { page: home } = await h.follow()
  expect(home.data.error).toBe('')
  expect(h.text(home, '.greeting')).toContain(voter.name)
  expect(h.text(home, '.greeting')).toContain('临江村')
  expect(h.text(home, '.money-total')).toMatch(/^[\d,]+\.\d{2} 元$/)
  const votes = h.texts(home, '.vote-row')
  expect(votes.length).toBeGreaterThan(0)
  expect(votes[0]).toContain('去投票')

  // 4. dividends, from the home page's menu
  await h.tap(home, '.menu .link-row')
  const { name: dividendsName, page: dividends } = await h.follow()
  expect(dividendsName).toBe('dividends')
  expect(dividends.data.error).toBe('')
  expect(dividends.data.items.length).toBeGreaterThan(0) // the demo's 临江村 households all had last year's dividend
  expect(dividends.data.items[0].statusText).toBe('已发放')

  // 5. the open vote, from home: 同意, confirmed, sent
  await h.tap(home, '.vote-row')
  const { name: voteName, query, page: vote } = await h.follow()
  expect(voteName).toBe('vote')
  expect(vote.data.canVote).toBe(true)
  await h.tap(vote, '.choice-agree')
  await h.until(() => vote.data.receipt !== '')
  expect(h.wxState.modals.some((m) => String(m.content).includes('同意'))).toBe(true)

  // 6. the receipt: on screen, kept on the phone, and the server now knows this person has voted
  expect(vote.data.receipt).toMatch(/^[0-9a-f]{12}$/)
  expect(vote.dom.textContent).toContain(vote.data.receipt)
  expect(h.wxState.store.get(`sv_receipt_${query.id}`)).toBe(vote.data.receipt)
  const token = h.wxState.store.get('sv_token')
  const v = (await h.call('GET', `/votes/${query.id}`, { token })).data
  expect(v.has_voted).toBe(true)
  expect(v.receipts).toBeNull() // secret until the vote closes

  // 7. back home (onShow), the vote says 已投票; a second ballot is refused and changes nothing
  await home.instance.onShow()
  await h.until(() => !home.data.loading)
  expect(home.data.openVotes.find((x) => String(x.id) === String(query.id)).has_voted).toBe(true)
  const again = await h.call('POST', `/votes/${query.id}/ballots`, { token, body: { choice: 'oppose' } })
  expect(again.statusCode).toBe(409)
  expect(again.data.error.code).toBe('vote.already_cast')
})
