// 成员确认: a membership application (by the villager, or entered for them), the committee's review, the
// 成员大会's meeting with its quorum and majority, 公示 with objections, then registration (农村集体经济组织法 第12、27条).
const ROLES = ['secretary', 'township_staff']

export default [
  {
    path: '/membership',
    component: () => import('../views/membership/MembershipView.vue'),
    meta: { title: '成员确认', menu: '村务', order: 13, roles: ROLES, description: '成员资格申请、两委审查、成员大会确认、公示、登记' },
  },
  {
    path: '/membership/applications/:id(\\d+)',
    component: () => import('../views/membership/ApplicationView.vue'),
    meta: { title: '成员资格申请', roles: ROLES },
  },
  {
    path: '/membership/meetings/new',
    component: () => import('../views/membership/MeetingFormView.vue'),
    meta: { title: '登记成员大会', roles: ROLES },
  },
  {
    path: '/membership/meetings/:id(\\d+)',
    component: () => import('../views/membership/MeetingView.vue'),
    meta: { title: '成员大会与公示', roles: ROLES },
  },
]
