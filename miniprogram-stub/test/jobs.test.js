// Public-benefit jobs (pages jobs and job) against the seeded demo: 临江村's open posting 村道保洁员 (2 positions,
// 600.00 a month), last year's 护路员 (filled, 刘小梅 hired). Only 刘小梅 (脱贫户, a priority group) applies here;
// the refusals write nothing: 王建国 (the secretary: cadres may not apply), 张大山 on the filled posting.
const h = require('./harness')

// each test gets a fresh phone already signed in (one login per person per file)
const phone = (person) => h.signedIn(person)
const tokenOf = (person) => h.tokenOf(person)
const fmt = require('../utils/format')

const LJ = 1
const ids = {}

beforeAll(async () => {
  const token = await tokenOf('liuxiaomei')
  const open = await h.call('GET', `/villages/${LJ}/job-postings`, { token })
  ids.cleaner = open.data.items.find((p) => p.title === '村道保洁员').id
  const mine = await h.call('GET', '/me/job-applications', { token })
  ids.road = mine.data.items.find((a) => a.posting.title === '护路员').posting.id
})

async function applicationsCount(id) {
  const r = await h.call('GET', `/job-postings/${id}`, { token: await tokenOf('liuxiaomei') })
  return r.data.applications
}

describe('jobs', () => {
  test('刘小梅 sees the open posting and her own applications in words; she applies; the list shows it', async () => {
    await phone('liuxiaomei')
    const list = await h.openPage('jobs', { village: String(LJ) })
    expect(list.data.error).toBe('')
    const postings = h.texts(list, '.posting')
    expect(postings).toHaveLength(1)
    expect(h.text(list, '.posting-title')).toBe('村道保洁员')
    expect(h.text(list, '.posting-category')).toBe('保洁')
    expect(h.text(list, '.posting-positions')).toBe('招 2 人')
    expect(h.text(list, '.posting-wage')).toBe('600.00 元')
    const apiPosting = (await h.call('GET', `/job-postings/${ids.cleaner}`, { token: await tokenOf('liuxiaomei') })).data
    expect(h.text(list, '.posting-until')).toBe(fmt.dateTime(apiPosting.apply_until))
    // last year's 护路员 (backend/demo_jobs.py): posted 18 November the year before, hired on 6 December
    const year = new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear() // China's calendar, as the demo
    expect(h.texts(list, '.application')).toEqual([`护路员${year - 2}年12月6日已上岗`])

    await h.tap(list, '.posting')
    const { name, page } = await h.follow()
    expect(name).toBe('job')
    expect(page.data.error).toBe('')
    expect(h.text(page, '.job-title')).toBe('村道保洁员')
    expect(h.text(page, '.job-wage')).toBe('600.00 元')
    expect(h.texts(page, '.job-duties').join('')).toContain('每月出勤不少于22天')
    expect(h.texts(page, '.job-rule')).toEqual([
      '· 年龄 16 到 65 周岁', '· 脱贫户、监测户优先', '· 每户只能报一个人', '· 村干部和他们的家人不能报'])
    expect(h.text(page, '.can-apply')).toBe('您可以报名')
    expect(h.text(page, '.priority')).toContain('优先照顾')

    const before = await applicationsCount(ids.cleaner)
    await page.instance.onApply()
    expect(h.wxState.modals[0].content).toBe('报名“村道保洁员”？报名后等村里公布名单。')
    const posts = h.wxState.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/applications'))
    expect(posts.map((r) => r.status)).toEqual([201])
    expect(h.text(page, '.applied')).toBe('报名成功：已报名，等待选定')
    expect(h.text(page, '.applied-priority')).toContain('脱贫户')
    const receipt = h.wxState.store.get(`sv_job_receipt_${ids.cleaner}`)
    expect(receipt).toMatch(/^[0-9a-f]{8,}$/)
    expect(h.text(page, '.job-receipt')).toBe(receipt)
    expect(h.has(page, '.apply-btn')).toBe(false)
    expect(await applicationsCount(ids.cleaner)).toBe(before + 1)

    // back on the list, the new application is there in words
    await list.instance.onShow()
    await h.until(() => !list.data.loading)
    const rows = h.texts(list, '.application')
    expect(rows).toHaveLength(2)
    expect(rows.find((t) => t.startsWith('村道保洁员'))).toContain('已报名，等待选定')
  })

  test('opened without a village, the list is the caller’s own village’s', async () => {
    await phone('zhangdashan')
    const page = await h.openPage('jobs')
    expect(page.data.error).toBe('')
    expect(h.texts(page, '.posting-title')).toEqual(['村道保洁员'])
    expect(h.text(page, '.no-applications')).toBe('您还没有报过名。')
  })

  test('applying twice: the page already says she applied; a second application is refused and counts nothing', async () => {
    await phone('liuxiaomei')
    const page = await h.openPage('job', { id: String(ids.cleaner) })
    expect(h.text(page, '.my-status')).toBe('您已经报过名了：已报名，等待选定')
    expect(h.has(page, '.apply-btn')).toBe(false)
    const before = await applicationsCount(ids.cleaner)
    await page.instance.apply() // a page left open from before she applied
    expect(h.text(page, '.action-error')).toBe('您已经报名过这个岗位')
    expect(h.wxState.modals.at(-1).content).toBe('您已经报名过这个岗位')
    expect(h.has(page, '.apply-btn')).toBe(false)
    expect(await applicationsCount(ids.cleaner)).toBe(before)
  })

  test('王建国 (the secretary) is told why he may not apply, before and from the server', async () => {
    await phone('wangjianguo')
    const page = await h.openPage('job', { id: String(ids.cleaner) })
    expect(h.text(page, '.why-not')).toBe('您不能报名：村干部及其家庭成员不能申请公益岗位')
    expect(h.has(page, '.apply-btn')).toBe(false)
    expect(h.has(page, '.can-apply')).toBe(false)
    const before = await applicationsCount(ids.cleaner)
    await page.instance.apply()
    expect(h.wxState.requests.filter((r) => r.url.endsWith('/applications')).map((r) => r.status)).toEqual([403])
    expect(h.text(page, '.action-error')).toBe('村干部及其家庭成员不能申请公益岗位')
    expect(h.text(page, '.why-not')).toBe('您不能报名：村干部及其家庭成员不能申请公益岗位')
    expect(await applicationsCount(ids.cleaner)).toBe(before)
  })

  test('a filled posting: its status and the public list in words, no button; applying is refused (job.closed)', async () => {
    await phone('zhangdashan')
    const page = await h.openPage('job', { id: String(ids.road) })
    expect(page.data.error).toBe('')
    expect(h.text(page, '.job-status')).toBe('已聘用')
    expect(h.text(page, '.why-not')).toBe('这个岗位现在不报名了（已聘用）')
    expect(h.has(page, '.apply-btn')).toBe(false)
    const applicants = h.texts(page, '.applicant')
    expect(applicants).toHaveLength(2)
    const her = applicants.find((t) => t.includes('刘*梅'))
    expect(her).toContain('已上岗')
    expect(her).toContain('优先（脱贫户）')
    // issue 20: objections are public in count, private in author — another villager's objection is counted only
    expect(h.text(page, '.objection-counts')).toBe('共 1 条异议，已答复 1 条（谁提的不公开）')
    expect(h.has(page, '.my-objection')).toBe(false)
    await page.instance.apply()
    expect(h.text(page, '.action-error')).toBe('该岗位已停止报名')
    expect((await h.call('GET', '/me/job-applications', { token: await tokenOf('zhangdashan') })).data.total).toBe(0)
  })
})
