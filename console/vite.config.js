// The console's build: served by the API at /console/ from console/dist (see backend/ … console serving).
// `npm run dev` proxies /api to a running API (scripts/run, port 8000 unless CONSOLE_API says otherwise).
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

export default defineConfig({
  base: '/console/',
  // Element Plus components are imported where they are used (each page's chunk carries its own), so the
  // log-in page loads only what it draws; its whole stylesheet is still loaded once by main.js
  plugins: [vue(), Components({ resolvers: [ElementPlusResolver({ importStyle: false })], dts: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'charts'
        },
      },
    },
  },
  server: {
    proxy: { '/api': process.env.CONSOLE_API || 'http://127.0.0.1:8000' },
  },
})
