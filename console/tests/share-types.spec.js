// 李秀英 (accountant of 临江村) keeps the village's share types in 股权登记 → 股份类型设置: she sees 成员股 and 劳龄股 with
// whose shares they are and how many a new member gets, adds 土地股 (code land) and sees it in the list and as a
// column of the register, is refused a second type with the code land and a rename to 劳龄股 — each at its box —
// renames 土地股, and stops it. A type nobody holds changes no household's shares: the demo's register and dividend
// lists stay as they were (shared server).
import { test, expect } from '@playwright/test'
import { loginAs, consoleUrl, shot } from './harness.js'

test('李秀英 adds, renames and stops a share type, refused at the field on a duplicate', async ({ page }) => {
  await loginAs(page, 'lixiuying')
  await page.goto(consoleUrl('/dividends/register'))
  const header = page.locator('[data-test=register-table] thead')
  await expect(header).toContainText('劳龄股')
  const total = await page.locator('[data-test=register-total]').textContent()

  await page.locator('[data-test=share-types-open]').click()
  const dlg = page.locator('[data-test=share-types-dialog]')
  const list = dlg.locator('[data-test=share-types]')
  await expect(list.locator('[data-test=type-member]')).toHaveText('成员股')
  await expect(list.locator('[data-test=type-labor]')).toHaveText('劳龄股')
  await expect(list.locator('tr', { hasText: '成员股' })).toContainText('成员持有')
  await expect(list.locator('tr', { hasText: '成员股' })).toContainText('每人配 1 股')
  await expect(list.locator('tr', { hasText: '劳龄股' })).toContainText('不自动配股')
  await expect(dlg).toContainText('静态管理（生不增、死不减）')

  // a new type: listed, and a column of the register (which reloads its types)
  const form = page.locator('[data-test=type-form]')
  await dlg.locator('[data-test=type-new]').click()
  await form.locator('[data-test=type-name]').fill('土地股')
  await form.locator('[data-test=type-code]').fill('land')
  await form.locator('[data-test=type-save]').click()
  await expect(form).toBeHidden()
  await expect(list.locator('[data-test=type-land]')).toHaveText('土地股')
  await expect(list.locator('[data-test=type-state-land]')).toHaveText('在用')
  await expect(header).toContainText('土地股')

  // the same code again: refused at 代码, nothing added
  await dlg.locator('[data-test=type-new]').click()
  await form.locator('[data-test=type-name]').fill('宅基地股')
  await form.locator('[data-test=type-code]').fill('land')
  await form.locator('[data-test=type-save]').click()
  const codeItem = form.locator('.el-form-item').filter({ has: page.locator('[data-test=type-code]') })
  await expect(codeItem.locator('.el-form-item__error')).toHaveText('本村已有代码为“land”的股份类型')
  await expect(form.locator('[data-test=type-error]')).toHaveCount(0)
  await shot(page, 'dividends-share-types-refused', { fullPage: false })
  await form.getByRole('button', { name: '取消', exact: true }).click()
  await expect(form).toBeHidden()
  await expect(list.locator('tbody tr')).toHaveCount(3)

  // renamed: to another type's name is refused at 名称; to a name of its own it is listed so
  await list.locator('[data-test=type-edit-land]').click()
  await expect(form.locator('[data-test=type-code] input, input[data-test=type-code]').first()).toBeDisabled()
  await form.locator('[data-test=type-name]').fill('劳龄股')
  await form.locator('[data-test=type-save]').click()
  const nameItem = form.locator('.el-form-item').filter({ has: page.locator('[data-test=type-name]') })
  await expect(nameItem.locator('.el-form-item__error')).toHaveText('本村已有名称为“劳龄股”的股份类型')
  await form.locator('[data-test=type-name]').fill('土地承包股')
  await form.locator('[data-test=type-save]').click()
  await expect(form).toBeHidden()
  await expect(list.locator('[data-test=type-land]')).toHaveText('土地承包股')
  await expect(header).toContainText('土地承包股')
  await shot(page, 'dividends-share-types', { fullPage: false })

  // stopped: no longer a column of the register (no household holds it); the register's total unchanged
  await list.locator('[data-test=type-toggle-land]').click()
  await page.locator('.el-message-box').getByRole('button', { name: '停用', exact: true }).click()
  await expect(list.locator('[data-test=type-state-land]')).toHaveText('已停用')
  await expect(header).not.toContainText('土地承包股')
  await dlg.getByRole('button', { name: '关闭', exact: true }).click()
  await expect(dlg).toBeHidden()
  await expect(page.locator('[data-test=register-total]')).toHaveText(total)
})
