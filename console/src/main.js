import { createApp } from 'vue'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import router from './router.js'
import { setUnauthorizedHandler } from './api.js'

setUnauthorizedHandler(() => {
  const current = router.currentRoute.value
  if (current.name !== 'login') {
    router.replace({ name: 'login', query: current.fullPath !== '/' ? { redirect: current.fullPath } : {} })
  }
})

// Element Plus components come in per page (vite.config.js); the zh-CN locale through <el-config-provider> in App.vue
createApp(App).use(router).mount('#app')
