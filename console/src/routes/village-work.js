// 村务: the village's notices (村务公告) and public-benefit jobs (公益岗位), for its secretary and committee.
const VILLAGE_STAFF = ['secretary', 'committee']

export default [
  {
    path: '/village/notices',
    component: () => import('../views/village/NoticesView.vue'),
    meta: { title: '村务公告', menu: '村务', order: 60, roles: VILLAGE_STAFF, description: '给本村村民发公告，看谁读了，提醒没读的人' },
  },
  {
    path: '/village/jobs',
    component: () => import('../views/village/JobsView.vue'),
    meta: { title: '公益岗位', menu: '村务', order: 70, roles: VILLAGE_STAFF, description: '发布岗位、报名名单、抽签、公示、聘用、考勤和工资' },
  },
  {
    path: '/village/jobs/:postingId',
    component: () => import('../views/village/JobView.vue'),
    meta: { title: '公益岗位', roles: VILLAGE_STAFF },
  },
]
