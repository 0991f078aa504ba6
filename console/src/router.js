// Routes: the log-in page, and the shell holding the home page, every area's routes (areaRoutes.js) and a
// 找不到该页面 page. Area routes are children of the shell (absolute paths); the menu is built from their meta (see Shell.vue).
import { createRouter, createWebHistory } from 'vue-router'
import { isLoggedIn } from './session.js'
import Shell from './views/common/Shell.vue'
import LoginView from './views/common/LoginView.vue'
import { areaRoutes } from './areaRoutes.js'

const routes = [
  { path: '/login', name: 'login', component: LoginView, meta: { title: '登录', public: true } },
  {
    path: '/',
    component: Shell,
    children: [
      { path: '', name: 'home', component: () => import('./views/common/HomeView.vue'), meta: { title: '首页' } },
      ...areaRoutes,
      {
        path: '/:pathMatch(.*)*',
        name: 'not-found',
        component: () => import('./views/common/NotFoundView.vue'),
        meta: { title: '找不到该页面' },
      },
    ],
  },
]

const router = createRouter({
  history: createWebHistory('/console/'),
  routes,
})

router.beforeEach((to) => {
  if (to.meta.public) {
    if (to.name === 'login' && isLoggedIn()) return { path: typeof to.query.redirect === 'string' ? to.query.redirect : '/' }
    return true
  }
  if (!isLoggedIn()) {
    return { name: 'login', query: to.fullPath && to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title ? `${to.meta.title} · ` : ''}阳光村务管理端`
})

export default router
