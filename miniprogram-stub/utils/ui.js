// What every page shares: text size that follows the phone's setting (and a "大字" switch of our own),
// loading a page's data with its error shown in words on the screen, and going to the binding page when needed.
const api = require('./api')

const LARGE_KEY = 'sv_large_text'
const BASE_PX = 18 // 1rem at the phone's normal text size: already larger than WeChat's default 14–16px
const MAX_PX = 34

function systemFontSize() {
  try {
    const info = wx.getAppBaseInfo ? wx.getAppBaseInfo() : wx.getSystemInfoSync()
    return Number(info && info.fontSizeSetting) || 17
  } catch (e) {
    return 17
  }
}

// the page's root font size: every size in the .wxss files is in rem, so the whole screen grows with it
function rootFontSize() {
  const scale = Math.max(1, systemFontSize() / 17) * (wx.getStorageSync(LARGE_KEY) ? 1.25 : 1)
  return `${Math.min(MAX_PX, Math.round(BASE_PX * scale))}px`
}

function largeText() {
  return !!wx.getStorageSync(LARGE_KEY)
}

function setLargeText(on) {
  if (on) wx.setStorageSync(LARGE_KEY, 1)
  else wx.removeStorageSync(LARGE_KEY)
}

function goBind(ticket) {
  wx.reLaunch({ url: `/pages/login/login${ticket ? `?ticket=${encodeURIComponent(ticket)}` : ''}` })
}

// Runs `fetch` and puts what it returns into the page's data; on failure the page shows the Chinese message
// (and a "再试一次" button, see components/state-view). Resolves true when the data arrived.
async function load(page, fetch) {
  page.setData({ loading: true, error: '', rootFontSize: rootFontSize() })
  try {
    const data = await fetch()
    page.setData({ ...data, loading: false })
    return true
  } catch (err) {
    if (err && err.code === 'auth.not_bound') {
      goBind(err.details && err.details.bind_ticket)
      return false
    }
    page.setData({ loading: false, error: (err && err.message) || api.MESSAGES.server })
    return false
  } finally {
    if (wx.stopPullDownRefresh) wx.stopPullDownRefresh()
  }
}

// A write (vote, application, binding): shows a short modal with the server's message when it fails.
async function act(page, fn, busyKey = 'busy') {
  if (page.data[busyKey]) return null // a second tap while the first is on its way does nothing
  page.setData({ [busyKey]: true, actionError: '' })
  try {
    return await fn()
  } catch (err) {
    if (err && err.code === 'auth.not_bound') {
      goBind(err.details && err.details.bind_ticket)
      return null
    }
    const message = (err && err.message) || api.MESSAGES.server
    page.setData({ actionError: message })
    wx.showModal({ title: '没有成功', content: message, showCancel: false, confirmText: '知道了' })
    return null
  } finally {
    page.setData({ [busyKey]: false })
  }
}

module.exports = { rootFontSize, systemFontSize, largeText, setLargeText, load, act, goBind }
