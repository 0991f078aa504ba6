// 村庄与干部: township staff create villages, appoint and end roles, unbind a member's lost phone; a village
// secretary unbinds a member of their own village (成员微信解绑).
export default [
  {
    path: '/admin/villages',
    component: () => import('../views/admin/VillagesView.vue'),
    meta: { title: '村庄与干部', menu: '镇级', roles: ['township_staff'], description: '新建村、任免村干部和代理会计、解绑微信' },
  },
  {
    path: '/admin/unbind',
    component: () => import('../views/admin/UnbindView.vue'),
    meta: { title: '成员微信解绑', menu: '村务', order: 14, roles: ['secretary'], description: '村民换了手机或丢了手机时解绑微信' },
  },
]
