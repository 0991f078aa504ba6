// 确认登录管理端: reached by scanning a console's QR code on the home page (utils/console-login.js). It says, in
// large words, which console asks — its browser, its address and when it asked — and lets the person approve or
// refuse: GET /auth/console-tickets/{code}/request, then POST …/approve or …/refuse.
//
// A ticket that is gone (expired, used, refused: 410) and a person who may not log in to the console (403
// auth.not_staff) end here with a sentence and 返回; no answer at all shows the api module's sentence with 再试一次.
const api = require('../../utils/api')
const fmt = require('../../utils/format')
const ui = require('../../utils/ui')

const GONE = '二维码已过期，请在电脑上刷新后重新扫码'
const NO_CODE = '没有找到要登录的管理端，请在首页点“扫码登录管理端”重新扫码'
const APPROVED = '管理端已登录，可以回到电脑前'
const ALREADY_APPROVED = '这次登录已经确认过了，可以回到电脑前'
const BACK_AFTER_MS = 2500

function decode(s) {
  try {
    return decodeURIComponent(s)
  } catch (e) {
    return s
  }
}

// the sentence that ends the page for a refusal, or '' for a failure worth trying again
function finalSentence(err) {
  if (!err) return ''
  if (err.status === 410) return GONE
  if (err.status === 403 || err.status === 404) return err.message || GONE
  return ''
}

Page({
  data: {
    rootFontSize: '18px',
    loading: true,
    error: '',
    problem: '', // the page's last word: gone, not staff, unknown code
    done: '', // the success sentence once approved
    ask: null, // {browser, address, timeText}
    busy: false,
    actionError: '',
  },

  onLoad(query) {
    this.code = decode((query && query.code) || '').trim()
    // one key for this page's approval: a tap again after a lost answer is the same approval
    this.approveKey = null
    return this.refresh()
  },

  onUnload() {
    if (this.backTimer) clearTimeout(this.backTimer)
  },

  onRetry() {
    return this.refresh()
  },

  async refresh() {
    if (!this.code) {
      this.setData({ loading: false, error: '', problem: NO_CODE, rootFontSize: ui.rootFontSize() })
      return false
    }
    const ok = await ui.load(this, async () => {
      try {
        const r = await api.get(`/auth/console-tickets/${encodeURIComponent(this.code)}/request`)
        if (r.status === 'approved') return { done: ALREADY_APPROVED, ask: null, problem: '' }
        if (r.status && r.status !== 'waiting') return { ask: null, problem: GONE }
        return {
          problem: '',
          ask: {
            browser: r.browser || '没有说明',
            address: r.address || '不知道',
            timeText: fmt.beijingDateTime(r.created_at),
          },
        }
      } catch (err) {
        const problem = finalSentence(err)
        if (problem) return { ask: null, problem }
        throw err
      }
    })
    return ok && !this.data.problem
  },

  async onApprove() {
    if (this.data.busy || this.data.done || this.data.problem) return null
    if (!this.approveKey) this.approveKey = await api.newKey()
    this.setData({ busy: true, actionError: '' })
    try {
      await api.post(`/auth/console-tickets/${encodeURIComponent(this.code)}/approve`, {},
        { idempotencyKey: this.approveKey })
      this.setData({ done: APPROVED })
      this.backTimer = setTimeout(() => wx.navigateBack({ delta: 1 }), BACK_AFTER_MS)
      return true
    } catch (err) {
      const problem = finalSentence(err)
      if (problem) {
        this.setData({ problem })
        return false
      }
      if (err && err.code === 'auth.not_bound') {
        ui.goBind(err.details && err.details.bind_ticket)
        return false
      }
      const message = (err && err.message) || api.MESSAGES.server
      this.setData({ actionError: message })
      wx.showModal({ title: '没有成功', content: message, showCancel: false, confirmText: '知道了' })
      return false
    } finally {
      this.setData({ busy: false })
    }
  },

  // 取消: the console is told no (its screen says so), then back. A refusal that does not arrive changes
  // nothing that matters: the code dies by itself within two minutes, and nobody approved it.
  async onRefuse() {
    if (this.data.busy) return
    this.setData({ busy: true, actionError: '' })
    try {
      await api.post(`/auth/console-tickets/${encodeURIComponent(this.code)}/refuse`)
      wx.showToast({ title: '已取消登录', icon: 'none' })
    } catch (err) {
      // gone already, or no network: either way there is nothing more to do here
    } finally {
      this.setData({ busy: false })
    }
    wx.navigateBack({ delta: 1 })
  },

  onBack() {
    if (this.backTimer) clearTimeout(this.backTimer)
    wx.navigateBack({ delta: 1 })
  },
})
