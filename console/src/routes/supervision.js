// 村务监督: the supervision committee's screens (sign-off of the financial disclosures, the published ones with
// their seals and villagers' questions, the village's audit log). A disclosure's page is open to every staff role
// that may read it (the township's warnings link to it); only a supervisor sees the sign-off buttons.
const STAFF = ['secretary', 'committee', 'accountant', 'supervisor', 'township_staff', 'township_accountant']

export default [
  {
    path: '/supervision/disclosures',
    component: () => import('../views/supervision/DraftsView.vue'),
    meta: { title: '待审核的财务公开', menu: '村务监督', roles: ['supervisor'], description: '会计编好的财务公开，核对后同意或退回' },
  },
  {
    path: '/supervision/published',
    component: () => import('../views/supervision/PublishedView.vue'),
    meta: { title: '已公开', menu: '村务监督', roles: ['supervisor'], description: '已公布的财务公开、封签和村民提问' },
  },
  {
    path: '/supervision/audit',
    component: () => import('../views/supervision/AuditView.vue'),
    meta: { title: '村务日志', menu: '村务监督', roles: ['supervisor', 'secretary', 'township_staff'], description: '谁在什么时候做了什么' },
  },
  {
    path: '/disclosures/:id(\\d+)',
    component: () => import('../views/supervision/DisclosureView.vue'),
    meta: { title: '财务公开', roles: STAFF },
  },
]
