// 三资 in the console. 王建国 (secretary of 临江村) opens 资产登记: the totals by kind, the old 村部 reads 出租 (it
// follows the land lease of its parcel), the 十里荷塘 is there with its area. He opens the 老村部: the lease with 惠农
// and its history. He registers a 打谷机 (a mistyped amount is flagged as he types), then tries to dispose of the
// leased 老村部 and is refused in Chinese; he disposes of the 打谷机 on a resolved decision chosen by its title and it
// becomes read-only. 李秀英 (accountant) opens 资金: balances from the books and the cash over its limit; 清产核资:
// last year's sealed inventory, then a new one where she confirms every entry, corrects the 原粮站仓库's value and
// seals it after a confirmation. A villager reads the register's public fields through the API but not the funds;
// 新竹村's secretary cannot read 临江村's register. Screenshots of each screen.
import { test, expect } from '@playwright/test'
import { appToken, call, loginAs, consoleUrl, shot } from './harness.js'

const url = (p) => consoleUrl(p)
const input = (scope, name) => scope.locator(`[data-test=${name}] input`).or(scope.locator(`input[data-test=${name}]`)).first()

async function topShot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0))
  await shot(page, name)
}

async function pickOption(page, field, text) {
  await page.locator(`[data-test=${field}]`).first().click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click()
}

test.describe.configure({ mode: 'serial' })

test('the secretary keeps the register: leased follows the lease, a new entry, a refused and an allowed disposal', async ({ page }) => {
  test.setTimeout(120_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'wangjianguo')
  await page.goto(url('/assets/items'))
  await expect(page.locator('[data-test=asset-list]')).toBeVisible()
  await expect(page.locator('[data-test=total-asset]')).toContainText('项')
  await expect(page.locator('[data-test=status-LJ-ZC-001]')).toHaveText('出租')
  await expect(page.locator('[data-test=status-LJ-ZC-006]')).toHaveText('闲置')
  await expect(page.locator('[data-test=asset-list]')).toContainText('十里荷塘')
  await expect(page.locator('[data-test=asset-list]')).toContainText('320 亩')
  await topShot(page, 'assets-register')

  // filter: resources only
  await page.locator('[data-test=filter-kind]').getByText('资源').click()
  await expect(page.locator('[data-test=asset-list]')).not.toContainText('小型挖掘机')
  await expect(page.locator('[data-test=asset-list]')).toContainText('村东鱼塘')
  await page.locator('[data-test=filter-kind]').getByText('全部').click()

  // the old 村部: leased to 惠农 through the land contract
  await page.locator('[data-test=asset-LJ-ZC-001]').click()
  await expect(page.locator('[data-test=asset-lease]')).toContainText('惠农粮油有限公司')
  await expect(page.locator('[data-test=asset-events]')).toContainText('清产核资')
  await topShot(page, 'assets-detail-leased')

  // a leased entry is not disposed of: the refusal in Chinese
  await page.locator('[data-test=dispose-asset]').click()
  const dd = page.locator('[data-test=dispose-dialog]')
  await pickOption(page, 'dispose-decision', '购置村道养护机械')
  await dd.locator('[data-test=dispose-save]').click()
  await expect(dd.locator('[data-test=dispose-error]')).toContainText('正在出租')
  await shot(page, 'assets-dispose-refused', { fullPage: false })
  await dd.getByText('取消').click()
  await expect(page.locator('[data-test=asset-status]')).toHaveText('出租')

  // a new entry: 打谷机
  await page.goto(url('/assets/items'))
  await page.locator('[data-test=new-asset]').click()
  const dlg = page.locator('[data-test=asset-dialog]')
  await input(dlg, 'asset-code').fill('LJ-ZC-020')
  await input(dlg, 'asset-name').fill('打谷机')
  await pickOption(page, 'asset-category', '机器设备')
  await input(dlg, 'asset-book').fill('3800.555')
  await expect(dlg).toContainText('最多两位小数')
  await expect(dlg.locator('[data-test=asset-save]')).toBeDisabled()
  await input(dlg, 'asset-book').fill('3800.50')
  await input(dlg, 'asset-location').fill('村委会院内机械棚')
  await shot(page, 'assets-new', { fullPage: false })
  await dlg.locator('[data-test=asset-save]').click()
  await page.waitForURL(/\/assets\/items\/\d+/)
  await expect(page.locator('[data-test=asset-book]')).toHaveText('3,800.50')

  // disposed of on the resolved decision, chosen by its title; read-only after
  await page.locator('[data-test=dispose-asset]').click()
  await pickOption(page, 'dispose-decision', '购置村道养护机械')
  await page.locator('[data-test=dispose-kind]').getByText('报废/核销').click()
  await page.locator('[data-test=dispose-dialog] [data-test=dispose-save]').click()
  await expect(page.locator('[data-test=asset-status]')).toHaveText('已处置')
  await expect(page.locator('[data-test=read-only]')).toContainText('购置村道养护机械并报废旧手扶拖拉机')
  await expect(page.locator('[data-test=edit-asset]')).toHaveCount(0)
  await topShot(page, 'assets-disposed')
})

test('the accountant reads the funds and carries out a 清产核资 to its seal', async ({ page }) => {
  test.setTimeout(150_000)
  page.setDefaultTimeout(15_000)
  await loginAs(page, 'lixiuying')
  await page.goto(url('/assets/funds'))
  await expect(page.locator('[data-test=fund-list]')).toContainText('临江农商银行青山支行（尾号 3071）')
  await expect(page.locator('[data-test=cash-over]')).toContainText('超过限额 5,000.00 元')
  await topShot(page, 'assets-funds')

  await page.goto(url('/assets/inventories'))
  await expect(page.locator('[data-test=inventory-list]')).toContainText('已封存')
  await page.locator('[data-test=inventory-list] a').first().click()
  await expect(page.locator('[data-test=sealed-note]')).toBeVisible()
  await expect(page.locator('[data-test=lines]')).toContainText('潜水泵')
  await topShot(page, 'assets-inventory-sealed')

  await page.goto(url('/assets/inventories'))
  await page.locator('[data-test=new-inventory]').click()
  await page.locator('[data-test=inventory-dialog] [data-test=inventory-save]').click()
  await page.waitForURL(/\/assets\/inventories\/\d+/)
  await expect(page.locator('[data-test=seal-inventory]')).toBeDisabled()
  // correct the warehouse's value, confirm everything else
  await page.locator('[data-test=correct-LJ-ZC-006]').click()
  await input(page.locator('[data-test=line-dialog]'), 'line-book').fill('20000.00')
  await input(page.locator('[data-test=line-dialog]'), 'line-note').fill('再次评估减值')
  await page.locator('[data-test=line-dialog] [data-test=line-save]').click()
  await expect(page.locator('[data-test=lines]')).toContainText('20,000.00')
  await topShot(page, 'assets-inventory-open')
  for (let i = 0; i < 40; i++) {
    const next = page.locator('[data-test=unchecked] [data-test^=confirm-]').first()
    if (!(await next.count())) break
    const before = await page.locator('[data-test=unchecked] [data-test^=confirm-]').count()
    await next.click()
    await expect(page.locator('[data-test=unchecked] [data-test^=confirm-]')).toHaveCount(before - 1)
  }
  await expect(page.locator('[data-test=seal-inventory]')).toBeEnabled()
  await page.locator('[data-test=seal-inventory]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '确定封存' }).click()
  await expect(page.locator('[data-test=inventory-status]')).toHaveText('已封存')
  await expect(page.locator('[data-test=seal-inventory]')).toHaveCount(0)
  await topShot(page, 'assets-inventory-new-sealed')

  // the register took the correction
  await page.goto(url('/assets/items'))
  await page.locator('[data-test=asset-LJ-ZC-006]').click()
  await expect(page.locator('[data-test=asset-book]')).toHaveText('20,000.00')
})

test('a villager reads the public register but not the funds; another village cannot read it', async () => {
  const villager = await appToken('zhangdashan')
  const villageId = 1 // 临江村, the demo's first village (as the mini-program's tests)
  const list = await call('GET', `/villages/${villageId}/assets?page_size=100`, { token: villager })
  expect(list.status).toBe(200)
  const shop = list.body.items.find((i) => i.code === 'LJ-ZC-001')
  expect(shop.status).toBe('leased')
  expect(shop.lessee).toBe('惠农粮油有限公司')
  expect(shop).not.toHaveProperty('original_value')
  const funds = await call('GET', `/villages/${villageId}/assets/funds`, { token: villager })
  expect(funds.status).toBe(403)
  const other = await appToken('zhouhai')
  const theirs = await call('GET', `/villages/${villageId}/assets`, { token: other })
  expect([403, 404]).toContain(theirs.status)
})
