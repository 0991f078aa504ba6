// 一条通知: its title, who sent it and when, the full text with its line breaks, any attachments; once it is on the
// screen the read receipt goes to the server (POST /notices/{id}/read). A failed receipt never hides the notice: it is
// tried again the next time the notice is opened.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

const SOURCE_WORDS = { township: '镇里发的', village: '村里发的' }

function attachmentView(a, i) {
  const text = String(a)
  const isLink = /^https?:\/\//i.test(text)
  const name = isLink ? decodeURIComponent(text.split('?')[0].split('/').pop() || '') || `附件${i + 1}` : text
  return { key: `${i}`, name, link: isLink ? text : '' }
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    id: null,
    notice: null,
    read: false,
    copied: '',
  },

  async onLoad(query) {
    this.setData({ id: query && query.id })
    const ok = await this.refresh()
    if (ok) await this.markRead()
    return ok
  },

  onPullDownRefresh() { return this.refresh() },
  async onRetry() {
    const ok = await this.refresh()
    if (ok) await this.markRead()
    return ok
  },

  refresh() {
    return ui.load(this, async () => {
      const n = await api.get(`/notices/${this.data.id}`)
      return {
        notice: {
          title: n.title,
          sourceText: `${SOURCE_WORDS[n.source] || ''}${n.source_name ? `（${n.source_name}）` : ''}`,
          dateText: fmt.dateTime(n.published_at),
          category: n.category || '',
          pinned: !!n.pinned,
          // keep the writer's line breaks: one paragraph a line
          lines: String(n.body || '').split(/\r?\n/).map((t, i) => ({ key: `${i}`, text: t, blank: !t.trim() })),
          attachments: (n.attachments || []).map(attachmentView),
          expiresText: n.expires_at ? fmt.dateTime(n.expires_at) : '',
        },
        read: !!n.read,
      }
    })
  },

  // the read receipt: quietly, the notice stays on the screen whatever happens
  async markRead() {
    if (this.data.read) return true
    try {
      await api.post(`/notices/${this.data.id}/read`, {})
      this.setData({ read: true })
      return true
    } catch (err) {
      return false
    }
  },

  onCopyLink(e) {
    const link = e.currentTarget.dataset.link
    if (!link) return
    wx.setClipboardData({
      data: link,
      success: () => this.setData({ copied: '链接已复制，可以粘贴到浏览器里打开' }),
    })
  },
})
