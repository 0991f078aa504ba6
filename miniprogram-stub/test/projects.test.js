// The project library on the phone (pages projects and project) against the seeded demo: 临江村's 村集体屋顶分布式光伏
// (implemented, 县级财政 500,000.00 and 村集体自筹 300,000.00, income from the books behind plan) and 十里荷塘乡村旅游
// (at 申报, waiting for the township's 审批). 张大山, a villager of 临江村, reads them; another village's list is
// refused to him; a kept answer shows with its time when the network is slow.
const h = require('./harness')

const LJ = 1

function year() {
  return new Date(Date.now() + 8 * 3600 * 1000).getUTCFullYear() // China's calendar, as the demo
}

describe('projects', () => {
  test('张大山 reads the village projects in words: 当前环节, 扶持资金, 累计收入', async () => {
    await h.signedIn('zhangdashan')
    const page = await h.openPage('projects')
    expect(page.data.error).toBe('')
    expect(h.texts(page, '.project-title')).toEqual(['十里荷塘乡村旅游', '村集体屋顶分布式光伏'])
    expect(h.texts(page, '.project-stage')).toEqual(['已申报，待镇项目评审委员会审批', '已实施'])
    expect(h.texts(page, '.project-step')).toEqual(['第 4 步 / 共 7 步', '第 7 步 / 共 7 步'])
    expect(h.texts(page, '.project-funds')).toEqual(['600,000.00 元', '500,000.00 元'])
    const income = h.texts(page, '.project-income')
    expect(income[0]).toBe('还没实施，没有收入')
    expect(income[1]).toMatch(/^\d{1,3}(,\d{3})*\.\d{2} 元$/)
    expect(h.texts(page, '.project-behind')).toHaveLength(1) // the 光伏 plant is behind plan
  })

  test('the 光伏 project: the seven steps with dates and who, the money by source, this year month by month', async () => {
    await h.signedIn('zhangdashan')
    const list = await h.openPage('projects', { village: String(LJ) })
    await h.tap(list, '.project') // the first card opens its project
    const { name } = await h.follow()
    expect(name).toBe('project')
    const solar = list.data.projects.find((p) => p.title === '村集体屋顶分布式光伏')
    const page = await h.openPage('project', { id: String(solar.id) })
    expect(page.data.error).toBe('')
    expect(h.text(page, '.project-title')).toBe('村集体屋顶分布式光伏')
    expect(h.text(page, '.project-stage')).toBe('已实施')
    const steps = h.texts(page, '.step-name')
    expect(steps).toEqual(['1. 储备', '2. 论证', '3. 筛选', '4. 申报', '5. 审批', '6. 立项', '7. 实施'])
    const states = h.texts(page, '.step-state')
    states.forEach((s) => expect(s).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日$/))
    const who = h.texts(page, '.step-who')
    expect(who[4]).toBe('郑雯办理')
    expect(who[5]).toBe('王建国办理，依据“村集体屋顶分布式光伏建设方案”')
    expect(h.texts(page, '.fund')).toEqual(['县级财政500,000.00 元', '村集体自筹300,000.00 元'])
    expect(h.text(page, '.fund-total')).toBe('合计800,000.00 元')
    const months = h.texts(page, '.month')
    expect(months.length).toBeGreaterThan(0)
    expect(page.data.months.every((m) => m.month.startsWith(`${year()}-`))).toBe(true)
    expect(months[0]).toMatch(/^\d{1,2}月计划 [\d,]+\.\d{2} 元实际 /)
    expect(h.text(page, '.project-behind')).toContain('差得比较多')
  })

  test('the project waiting for 审批 says so in words', async () => {
    await h.signedIn('zhangdashan')
    const list = await h.openPage('projects')
    const lotus = list.data.projects.find((p) => p.title === '十里荷塘乡村旅游')
    const page = await h.openPage('project', { id: String(lotus.id) })
    const states = h.texts(page, '.step-state')
    expect(states[4]).toBe('等镇里审批')
    expect(states.slice(5)).toEqual(['还没办', '还没办'])
    expect(h.text(page, '.fund')).toBe('市级财政600,000.00 元')
    expect(h.has(page, '.month')).toBe(false)
  })

  test('a villager of another village is refused in words', async () => {
    await h.signedIn('zhangdashan')
    const list = await h.openPage('projects', { village: '3' })
    expect(list.data.error).not.toBe('')
    expect(list.data.error).toMatch(/[\u4e00-\u9fff]/)
  })

  test('a slow network shows the kept list with its time, then the current one', async () => {
    await h.signedIn('zhangdashan')
    await h.openPage('projects')
    const slow = h.holdRequests()
    const { page, loaded } = h.renderPage('projects')
    await h.until(() => slow.held() > 0)
    expect(page.data.loading).toBe(false)
    expect(page.data.stale).toMatch(/[\u4e00-\u9fff]/)
    expect(h.texts(page, '.project-title')).toHaveLength(2)
    slow.release()
    expect(await loaded).toBe(true)
    expect(page.data.stale).toBe('')
  })
})
