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

const pad = (n) => String(n).padStart(2, '0')

// "12:30" today, "3月5日 12:30" another day this year, "2025年3月5日 12:30" before: when a kept answer was last current
function keptTime(at, now = new Date()) {
  const d = new Date(at)
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  if (d.toDateString() === now.toDateString()) return time
  const day = `${d.getMonth() + 1}月${d.getDate()}日`
  return d.getFullYear() === now.getFullYear() ? `${day} ${time}` : `${d.getFullYear()}年${day} ${time}`
}

// no answer, or the server cannot answer now: what was kept is still the best there is. An answer the server did
// give (not found, no longer allowed …) is shown instead: the kept one may be what changed.
function unreachable(err) {
  const status = err instanceof api.ApiError ? err.status : -1 // a page's own error (not the network's) is shown
  return status === 0 || status === 429 || status >= 500
}

// Runs `fetch` and puts what it returns into the page's data; on failure the page shows the Chinese message
// (and a "再试一次" button, see components/state-view). Resolves true when the data is on the screen.
//
// A weak network: `fetch` first runs on the answers kept by utils/api.js alone (api.fromKept: no network, at once).
// When every read of the page was kept, the page shows them straight away with `stale` saying their time ("这是
// 12:30 的内容，正在更新…"), then `fetch` runs for real (each read asking with If-None-Match: an unchanged answer
// costs a few bytes). The fresh data replaces the kept and `stale` is cleared; if the network fails meanwhile the
// kept data stays, with "网络不好，显示的是 12:30 的内容", and no error screen. Pull-down refresh is the same.
async function load(page, fetch) {
  page.setData({ loading: true, error: '', rootFontSize: rootFontSize() })
  let shown = null
  try {
    shown = await api.fromKept(fetch)
    if (shown) page.setData({ ...shown.data, loading: false, stale: `这是 ${keptTime(shown.at)} 的内容，正在更新…` })
    const data = await fetch()
    page.setData({ ...data, loading: false, stale: '' })
    return true
  } catch (err) {
    if (err && err.code === 'auth.not_bound') {
      goBind(err.details && err.details.bind_ticket)
      return false
    }
    if (shown && unreachable(err)) {
      page.setData({ loading: false, error: '', stale: `网络不好，显示的是 ${keptTime(shown.at)} 的内容` })
      return true
    }
    page.setData({ loading: false, stale: '', error: (err && err.message) || api.MESSAGES.server })
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

module.exports = { rootFontSize, systemFontSize, largeText, setLargeText, load, act, goBind, keptTime }
