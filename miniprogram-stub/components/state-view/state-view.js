// Loading, an error in words with a "再试一次" button, or an empty list explained — one place for all pages.
Component({
  properties: {
    loading: { type: Boolean, value: false },
    error: { type: String, value: '' },
    empty: { type: Boolean, value: false },
    emptyText: { type: String, value: '暂时没有内容' },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry')
    },
  },
})
