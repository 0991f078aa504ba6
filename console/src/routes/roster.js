// 村务 · 花名册 (the village's roster): 户籍与成员 (households and members: search, add, edit, move, end a
// membership, each member's history), 名册导入 (.xlsx: a dry run lists every bad row, then all or nothing; export and
// template), 职务任免 (村民代表, 成员代表, 村民小组长, 党员 with start and end dates). The secretary keeps them; the
// other village staff (and the township) read them.
export default [
  {
    path: '/roster/members',
    component: () => import('../views/roster/MembersView.vue'),
    meta: {
      title: '户籍与成员',
      menu: '村务',
      order: 10,
      roles: ['secretary', 'committee', 'accountant', 'supervisor', 'township_staff'],
      description: '按姓名或户号查找村民，建户、登记、修改、迁户、注销成员，查看每人的变动记录',
    },
  },
  {
    path: '/roster/import',
    component: () => import('../views/roster/ImportView.vue'),
    meta: {
      title: '名册导入',
      menu: '村务',
      order: 11,
      roles: ['secretary', 'township_staff'],
      description: '用 Excel 花名册一次登记或修改很多人：先检查，每一行都对了才导入',
    },
  },
  {
    path: '/roster/roles',
    component: () => import('../views/roster/RolesView.vue'),
    meta: {
      title: '职务任免',
      menu: '村务',
      order: 12,
      roles: ['secretary', 'committee', 'accountant', 'supervisor', 'township_staff'],
      description: '村民代表、成员代表、村民小组长、党员的任职和卸任',
    },
  },
]
