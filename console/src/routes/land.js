// 土地: parcels (地块), transfer and lease contracts (合同), and rent (租金) — the year's dues and arrears, rent
// received, and each household's part passed on (转付农户: by bank batch or in cash). Kept by the secretary and the
// accountants; the committee, the supervisors and the township's staff read them.
const KEEPERS = ['secretary', 'accountant', 'township_accountant']
const READERS = [...KEEPERS, 'committee', 'supervisor', 'township_staff']

export default [
  {
    path: '/land/rent',
    component: () => import('../views/land/RentView.vue'),
    meta: { title: '租金', menu: '土地', order: 10, roles: READERS, description: '今年应收租金和欠租，登记收款，把农户的租金转付到户' },
  },
  {
    path: '/land/contracts',
    component: () => import('../views/land/ContractsView.vue'),
    meta: { title: '合同', menu: '土地', order: 20, roles: READERS, description: '土地流转合同和集体资产出租合同' },
  },
  {
    path: '/land/parcels',
    component: () => import('../views/land/ParcelsView.vue'),
    meta: { title: '地块', menu: '土地', order: 30, roles: READERS, description: '农户承包地、集体土地和资产的登记' },
  },
  {
    path: '/land/contracts/new',
    component: () => import('../views/land/ContractNewView.vue'),
    meta: { title: '合同 · 新签', roles: KEEPERS },
  },
  {
    path: '/land/contracts/:id(\\d+)',
    component: () => import('../views/land/ContractView.vue'),
    meta: { title: '合同 · 详情', roles: READERS },
  },
  {
    path: '/land/payments/:id(\\d+)',
    component: () => import('../views/land/PayoutView.vue'),
    meta: { title: '租金 · 转付农户', roles: READERS },
  },
  {
    path: '/land/import',
    component: () => import('../views/land/ImportView.vue'),
    meta: { title: '地块 · 导入', roles: KEEPERS },
  },
]
