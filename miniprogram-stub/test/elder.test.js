// Elder-friendly by construction: every size in rem from a root size that follows the phone's text setting,
// nothing with a fixed height, no text cut off — checked in the files — and every page rendered at the
// largest text setting, showing its content in words.
const fs = require('fs')
const path = require('path')
const h = require('./harness')

const app = require('../app.json')
const { consoleCode } = require('../utils/console-login')
const wxssFiles = [path.join(h.ROOT, 'app.wxss')]
for (const dir of ['pages', 'components']) {
  for (const name of fs.readdirSync(path.join(h.ROOT, dir))) {
    for (const f of fs.readdirSync(path.join(h.ROOT, dir, name))) if (f.endsWith('.wxss')) wxssFiles.push(path.join(h.ROOT, dir, name, f))
  }
}
const declarations = (file) => fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
  .split(/[;{}]/).map((d) => d.trim()).filter((d) => d.includes(':'))
  .map((d) => { const i = d.indexOf(':'); return { file: path.relative(h.ROOT, file), prop: d.slice(0, i).trim(), value: d.slice(i + 1).trim() } })
  .filter((d) => /^[a-z-]+$/.test(d.prop))
const all = wxssFiles.flatMap(declarations)

describe('the style sheets', () => {
  test('every font size is in rem and at least 0.85rem (≈15px at normal text size)', () => {
    const fonts = all.filter((d) => d.prop === 'font-size')
    expect(fonts.length).toBeGreaterThan(10)
    for (const d of fonts) {
      expect(`${d.file} ${d.value}`).toMatch(/ \d*\.?\d+rem$/)
      expect(Number(d.value.replace('rem', ''))).toBeGreaterThanOrEqual(0.85)
    }
  })

  test('nothing has a fixed height, and no text is cut off when it grows', () => {
    for (const d of all) {
      if (d.prop === 'height' || d.prop === 'max-height') expect(`${d.file} ${d.prop}: ${d.value}`).toMatch(/: (auto|0)$/)
      if (d.prop === 'white-space') expect(`${d.file} ${d.value}`).not.toMatch(/nowrap/)
      if (d.prop === 'text-overflow') expect(`${d.file} ${d.value}`).not.toMatch(/ellipsis/)
      if (d.prop === 'overflow') expect(`${d.file} ${d.value}`).not.toMatch(/hidden/)
      if (d.prop === '-webkit-line-clamp') throw new Error(`${d.file} clamps lines`)
    }
  })

  test('tap targets are at least 2.6rem tall', () => {
    const mins = all.filter((d) => d.prop === 'min-height')
    expect(mins.length).toBeGreaterThan(0)
    for (const d of mins) expect(Number(d.value.replace('rem', ''))).toBeGreaterThanOrEqual(2.6)
  })
})

describe('every page', () => {
  test('is listed in app.json, has its four files and starts with the page-meta that sets the text size', () => {
    for (const p of app.pages) {
      for (const ext of ['js', 'json', 'wxml', 'wxss']) expect(fs.existsSync(path.join(h.ROOT, `${p}.${ext}`))).toBe(true)
      const wxml = fs.readFileSync(path.join(h.ROOT, `${p}.wxml`), 'utf8')
      expect(`${p}: ${wxml.trimStart().slice(0, 60)}`).toContain('<page-meta root-font-size="{{rootFontSize}}">')
    }
    const dirs = fs.readdirSync(path.join(h.ROOT, 'pages'))
    expect(dirs.sort()).toEqual([...new Set(app.pages.map((p) => p.split('/')[1]))].sort())
    // and every file under pages/ belongs to a page app.json lists
    for (const dir of dirs) {
      for (const f of fs.readdirSync(path.join(h.ROOT, 'pages', dir))) {
        expect(app.pages).toContain(`pages/${dir}/${f.replace(/\.(js|json|wxml|wxss)$/, '')}`)
      }
    }
  })

  // a console's QR code, as a staff member's phone reads it
  async function consoleTicket() {
    const r = await h.call('POST', '/auth/console-tickets', { body: { browser: 'Chrome 131 · Windows 10' } })
    expect(r.statusCode).toBe(201)
    const code = consoleCode(r.data.qr)
    expect(code).toBeTruthy()
    return code
  }

  test('renders at the phone’s largest text size with a larger root size, and shows words not codes', async () => {
    const token = await h.tokenFor('chenguilan')
    const get = async (p) => (await h.call('GET', p, { token })).data
    const me = await get('/me')
    const village = String(me.village.id)
    const firstId = (list) => String((list.items || list)[0].id)
    const queries = {
      home: {},
      login: {},
      dividends: {},
      dividend: { id: String((await get('/me/dividends')).items[0].declaration.id) },
      land: {},
      accounts: { village },
      disclosure: { id: firstId(await get(`/villages/${village}/disclosures`)) },
      decisions: { village },
      decision: { id: firstId(await get(`/villages/${village}/decisions`)) },
      vote: { id: firstId(await get('/me/votes')) },
      jobs: { village },
      job: { id: firstId(await get(`/villages/${village}/job-postings`)) },
      notices: {},
      notice: { id: firstId(await get('/me/notices')) },
      assets: { village },
      asset: { id: firstId(await get(`/villages/${village}/assets`)) },
      contracts: { village },
      projects: { village },
      project: { id: firstId(await get(`/villages/${village}/projects`)) },
      // a console waiting for a staff member's approval (陈桂兰 is not staff: 王建国 opens this one)
      'console-login/confirm': { code: await consoleTicket() },
    }
    const people = { 'console-login/confirm': 'wangjianguo' }
    for (const p of app.pages) {
      const name = h.pageName(p)
      expect(Object.keys(queries)).toContain(name)
      h.installWx({ person: people[name] || 'chenguilan', fontSizeSetting: 28 }) // iOS 'largest' text
      const page = await h.openPage(name, queries[name])
      expect(`${name}: ${page.data.error || ''}`).toBe(`${name}: `)
      expect(`${name}: ${page.data.problem || ''}`).toBe(`${name}: `)
      expect(`${name}: ${page.data.rootFontSize}`).toBe(`${name}: 30px`) // 18px × 28/17
      const words = page.dom.textContent.replace(/\s+/g, '')
      expect(words.length).toBeGreaterThan(2)
      expect(words).not.toMatch(/undefined|null|NaN|\[object/)
    }
  })

  test('the 大字 switch on the home page makes everything a quarter larger again, and is remembered', async () => {
    h.installWx({ person: 'chenguilan' })
    const home = await h.openPage('home')
    expect(home.data.rootFontSize).toBe('18px')
    home.instance.onLargeText({ detail: { value: true } })
    expect(home.data.rootFontSize).toBe('23px')
    const other = await h.openPage('dividends')
    expect(other.data.rootFontSize).toBe('23px')
  })
})
