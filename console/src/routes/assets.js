// 三资: the register of the collective's 资产、资源、资金 (资产登记), the funds with their balances from the books and the
// cash limit (资金), 清产核资 (dated inventories, sealed), and the register's .xlsx import. Kept by the secretary and
// the accountants; the village's staff and the township read it; villagers see the public fields on the phone.
import { KEEPERS, READERS } from '../components/assets/assets.js'

export default [
  {
    path: '/assets/items',
    component: () => import('../views/assets/RegisterView.vue'),
    meta: { title: '资产登记', menu: '三资', order: 10, roles: READERS, description: '集体的资产、资源、资金：类别、价值、状态，出租随土地合同，处置须依据决议' },
  },
  {
    path: '/assets/funds',
    component: () => import('../views/assets/FundsView.vue'),
    meta: { title: '资金', menu: '三资', order: 20, roles: READERS, description: '银行账户和库存现金的账面余额，库存现金是否超过限额' },
  },
  {
    path: '/assets/inventories',
    component: () => import('../views/assets/InventoriesView.vue'),
    meta: { title: '清产核资', menu: '三资', order: 30, roles: READERS, description: '按基准日逐项核对，更正、盘亏、盘盈，核完封存' },
  },
  {
    path: '/assets/items/:id(\\d+)',
    component: () => import('../views/assets/AssetView.vue'),
    meta: { title: '资产登记 · 详情', roles: READERS },
  },
  {
    path: '/assets/inventories/:id(\\d+)',
    component: () => import('../views/assets/InventoryView.vue'),
    meta: { title: '清产核资 · 核对', roles: READERS },
  },
  {
    path: '/assets/import',
    component: () => import('../views/assets/ImportView.vue'),
    meta: { title: '资产登记 · 导入', roles: KEEPERS },
  },
]
