// Loading, an error in words with a "再试一次" button, an empty list explained, or the time of the last answer
// while a fresh one is on its way — one place for all pages.
Component({
  properties: {
    loading: { type: Boolean, value: false },
    error: { type: String, value: '' },
    empty: { type: Boolean, value: false },
    emptyText: { type: String, value: '暂时没有内容' },
    // set by utils/ui.load while a kept answer is shown: "这是 12:30 的内容，正在更新…" (or why it could not be)
    stale: { type: String, value: '' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
  },
})
