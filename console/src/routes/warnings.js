// 预警 of one village: its secretary, committee, accountant and supervisor see what the township sees of their
// village (the township's own list is 镇级 · 待办/预警 in township.js).
export default [
  {
    path: '/village/warnings',
    component: () => import('../views/warnings/VillageWarningsView.vue'),
    meta: { title: '本村预警', menu: '村务监督', order: 5, roles: ['secretary', 'committee', 'accountant', 'supervisor'], description: '现金超限、应收逾期、合同到期、大额支出无决议、公开和答复逾期等，原因消除后自动消除' },
  },
]
