// 分红: the share register (股权登记) and the income-distribution plans (分配方案) — compute, 公示, payout. The
// accountant, the secretary and the township's agency accountant do the work; the committee, the supervisors and
// the township's staff read (the pages hide what they may not do; the API refuses it anyway).
const WRITE = ['secretary', 'accountant', 'township_accountant']
const READ = [...WRITE, 'committee', 'supervisor', 'township_staff']

export default [
  {
    path: '/dividends/register',
    component: () => import('../views/dividends/RegisterView.vue'),
    meta: { title: '股权登记', menu: '分红', order: 10, roles: READ, description: '按户的股权登记簿、股权证、股权变动，导入导出' },
  },
  {
    path: '/dividends/plans',
    component: () => import('../views/dividends/PlansView.vue'),
    meta: { title: '分配方案', menu: '分红', order: 20, roles: READ, description: '收益分配方案：试算到户、公示、发放、记账' },
  },
  {
    path: '/dividends/plans/:id(\\d+)',
    component: () => import('../views/dividends/PlanView.vue'),
    meta: { title: '分配方案', roles: READ },
  },
]
