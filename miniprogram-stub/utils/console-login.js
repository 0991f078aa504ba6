// 扫码登录管理端: staff open the console on a computer, it shows a QR code holding "sunshine-console:<code>", and
// they scan it here; the confirm page (pages/console-login/confirm) says which console asks before they approve.
// The server decides who may approve (POST /auth/console-tickets/{code}/approve answers 403 auth.not_staff for
// anyone else); the roles here only decide who sees the entry.

const STAFF_ROLES = ['secretary', 'committee', 'accountant', 'supervisor', 'township_staff', 'township_accountant']
const PREFIX = 'sunshine-console:'
const NOT_OURS = '这不是阳光村务管理端的二维码'
const SCAN_FAILED = '没有扫到二维码，请对准电脑屏幕上的二维码再试一次'

function isStaff(roles) {
  return Array.isArray(roles) && roles.some((r) => STAFF_ROLES.includes(r))
}

// the code of a console's QR text, or '' when the text is not one of ours
function consoleCode(text) {
  const t = String(text || '').trim()
  if (!t.startsWith(PREFIX)) return ''
  const code = t.slice(PREFIX.length)
  return /^[A-Za-z0-9_.~-]{1,200}$/.test(code) ? code : ''
}

function confirmUrl(code) {
  return `/pages/console-login/confirm?code=${encodeURIComponent(code)}`
}

// Opens the camera (no picking a photo from the album: the person must be in front of the screen), and goes to
// the confirm page for a console's QR code; anything else gets a short sentence. Resolves with what it did.
function scan() {
  return new Promise((resolve) => {
    wx.scanCode({
      onlyFromCamera: true,
      scanType: ['qrCode'],
      success: (r) => {
        const code = consoleCode(r && r.result)
        if (!code) {
          wx.showToast({ title: NOT_OURS, icon: 'none', duration: 3000 })
          resolve('foreign')
          return
        }
        wx.navigateTo({ url: confirmUrl(code) })
        resolve('confirm')
      },
      fail: (e) => {
        // closing the camera is not a failure worth a word
        if (!/cancel/i.test((e && e.errMsg) || '')) wx.showToast({ title: SCAN_FAILED, icon: 'none', duration: 3000 })
        resolve('cancelled')
      },
    })
  })
}

module.exports = { STAFF_ROLES, PREFIX, NOT_OURS, SCAN_FAILED, isStaff, consoleCode, confirmUrl, scan }
