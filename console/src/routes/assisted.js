// 代办（无手机成员）: at the village office, the secretary (or a committee member, for a job application) enters a
// ballot or an application for a member who has no phone, with the member in front of them; a 村务监督委员 co-signs
// it in their own session (待会签); nothing is recorded before, and an entry not co-signed in time lapses.
export default [
  {
    path: '/assisted',
    component: () => import('../views/assisted/AssistedEntryView.vue'),
    meta: {
      title: '代办（无手机成员）',
      menu: '村务',
      roles: ['secretary', 'committee'],
      description: '没有手机的成员来村委会投票或报名公益岗位：当面录入，监督委员会成员会签后才记录',
      order: 30,
    },
  },
  {
    path: '/assisted/cosign',
    component: () => import('../views/assisted/CosignView.vue'),
    meta: {
      title: '待会签',
      menu: '村务',
      roles: ['supervisor'],
      description: '村委会为没有手机的成员录入的投票、报名，由村务监督委员会成员核对后会签',
      order: 31,
    },
  },
]
