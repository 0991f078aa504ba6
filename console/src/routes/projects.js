// 项目: the village's project library (项目库) through the seven steps (七步工作法), and in 镇级 the township's 项目总览
// where the 项目评审委员会 (township staff) signs 审批. Villagers see the library on the phone.
const KEEPERS = ['secretary', 'committee']
const READERS = [...KEEPERS, 'accountant', 'supervisor', 'township_staff', 'township_accountant']
const TOWNSHIP = ['township_staff', 'township_accountant']

export default [
  {
    path: '/projects',
    component: () => import('../views/projects/ProjectsView.vue'),
    meta: { title: '项目库', menu: '项目', order: 10, roles: READERS, description: '村集体经济项目：七步工作法、扶持资金、收入对照计划' },
  },
  {
    path: '/projects/:id(\\d+)',
    component: () => import('../views/projects/ProjectView.vue'),
    meta: { title: '项目 · 详情', roles: READERS },
  },
  {
    path: '/township/projects',
    component: () => import('../views/projects/TownshipProjectsView.vue'),
    meta: { title: '项目总览', menu: '镇级', order: 25, roles: TOWNSHIP, description: '各村项目的环节、扶持资金、收入与计划；审批待审项目' },
  },
]
