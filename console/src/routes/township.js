// 镇级: the township's screens (township staff and the township's agency accountants). meta.order places an
// entry within its menu group (default 50).
const TOWNSHIP = ['township_staff', 'township_accountant']

export default [
  {
    path: '/township/progress',
    component: () => import('../views/township/ProgressView.vue'),
    meta: { title: '进度表', menu: '镇级', order: 10, roles: TOWNSHIP, description: '各村集体收入进度、排名和按月通报' },
  },
  {
    path: '/township/notices',
    component: () => import('../views/township/NoticesView.vue'),
    meta: { title: '通知', menu: '镇级', order: 20, roles: ['township_staff'], description: '给各村发通知，看谁读了' },
  },
  {
    path: '/township/warnings',
    component: () => import('../views/township/WarningsView.vue'),
    meta: { title: '待办/预警', menu: '镇级', order: 30, roles: TOWNSHIP, description: '现金超限、应收逾期、合同到期、大额支出无决议、公开和答复逾期、卡住的事项' },
  },
  {
    path: '/township/villages/:villageId',
    component: () => import('../views/township/VillageView.vue'),
    meta: { title: '村情况', roles: TOWNSHIP },
  },
]
