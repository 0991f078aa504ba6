// 合同 (三资): every contract of the collective in one register — land's transfer and lease contracts beside the
// collective's services, construction, purchases and asset leases — with the schedule, deposit (保证金), the
// decision each rests on and its expiry. Kept by the secretary and the accountants; the village's staff and the
// township read it; villagers see the public fields on the phone.
const KEEPERS = ['secretary', 'accountant', 'township_accountant']
const READERS = [...KEEPERS, 'committee', 'supervisor', 'township_staff']

export default [
  {
    path: '/assets/contracts',
    component: () => import('../views/contracts/RegisterView.vue'),
    meta: { title: '合同登记', menu: '三资', order: 40, roles: READERS, description: '集体的全部合同：土地合同和服务、工程、采购、资产出租合同，到期和逾期一目了然' },
  },
  {
    path: '/assets/contracts/new',
    component: () => import('../views/contracts/ContractNewView.vue'),
    meta: { title: '新签合同', menu: '三资', order: 41, roles: KEEPERS, description: '登记集体的服务、工程、采购、资产出租合同及其收付款计划' },
  },
  {
    path: '/assets/contracts/import',
    component: () => import('../views/contracts/ImportView.vue'),
    meta: { title: '合同 · 导入', roles: KEEPERS },
  },
  {
    path: '/assets/contracts/:id(\\d+)',
    component: () => import('../views/contracts/ContractView.vue'),
    meta: { title: '合同 · 详情', roles: READERS },
  },
]
