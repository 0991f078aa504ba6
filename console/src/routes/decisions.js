// 四议两公开 (a village secretary): the village's decisions by stage and status, a new proposal, and each
// decision's page — the six-stage timeline with the current stage's form, 公示 and objections, votes.
export default [
  {
    path: '/decisions',
    component: () => import('../views/decisions/DecisionsView.vue'),
    meta: {
      title: '四议两公开',
      menu: '村务',
      roles: ['secretary'],
      description: '提议、商议、审议、决议、决议公开、实施结果公开：登记会议、发起表决、公示与异议',
      order: 20,
    },
  },
  {
    path: '/decisions/:id(\\d+)',
    component: () => import('../views/decisions/DecisionView.vue'),
    meta: { title: '四议两公开 · 议题', roles: ['secretary'] },
  },
]
