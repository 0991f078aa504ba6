// 绑定身份: a WeChat account not yet bound to a member binds with the phone number WeChat vouches for,
// or with village code + name + the last six characters of the ID number as on the roster.
const api = require('../../utils/api')
const ui = require('../../utils/ui')

function cleanIdLast6(value) {
  return String(value || '').trim().toUpperCase()
}

Page({
  data: {
    rootFontSize: '18px',
    checking: true,
    ticket: '',
    villageCode: '',
    name: '',
    idLast6: '',
    formError: '',
    busy: false,
  },

  async onLoad(query) {
    this.setData({ rootFontSize: ui.rootFontSize() })
    if (query && query.ticket) {
      this.setData({ ticket: decodeURIComponent(query.ticket), checking: false })
      return
    }
    await this.refreshTicket()
  },

  // a fresh wx.login: bound already → home; otherwise keep the new ticket (valid 10 minutes)
  async refreshTicket() {
    this.setData({ checking: true })
    try {
      const r = await api.login()
      if (r.bound) {
        this.done()
        return false
      }
      this.setData({ ticket: r.bind_ticket, checking: false })
      return true
    } catch (err) {
      this.setData({ checking: false, formError: err.message })
      return false
    }
  },

  onVillageCode(e) { this.setData({ villageCode: e.detail.value }) },
  onName(e) { this.setData({ name: e.detail.value }) },
  onIdLast6(e) { this.setData({ idLast6: e.detail.value }) },

  validate() {
    const villageCode = this.data.villageCode.trim().toUpperCase()
    const name = this.data.name.trim()
    const idLast6 = cleanIdLast6(this.data.idLast6)
    if (!villageCode) return { error: '请填写村代码' }
    if (!name) return { error: '请填写姓名' }
    if (!/^\d{5}[\dX]$/.test(idLast6)) return { error: '身份证号后6位应是6个字符：前5位是数字，最后一位是数字或X' }
    return { payload: { village_code: villageCode, name, id_card_last6: idLast6 } }
  },

  async onBind() {
    const { error, payload } = this.validate()
    if (error) {
      this.setData({ formError: error })
      return
    }
    this.setData({ formError: '' })
    await this.bindWith(payload)
  },

  async onPhoneNumber(e) {
    const code = e && e.detail && e.detail.code
    if (!code) {
      this.setData({ formError: '没有拿到手机号。可以改用下面的方法二绑定' })
      return
    }
    await this.bindWith({ phone_code: code })
  },

  async bindWith(payload) {
    const result = await ui.act(this, async () => {
      try {
        return await api.bind({ ...payload, bind_ticket: this.data.ticket })
      } catch (err) {
        // the ticket lasts 10 minutes: get a new one once and try again
        if (err.code !== 'auth.ticket_invalid') throw err
        const r = await api.login()
        if (r.bound) return r
        this.setData({ ticket: r.bind_ticket })
        return api.bind({ ...payload, bind_ticket: r.bind_ticket })
      }
    })
    if (result && result.bound) this.done()
    else if (this.data.actionError) this.setData({ formError: this.data.actionError })
  },

  done() {
    const app = getApp()
    if (app && app.forgetMe) app.forgetMe()
    wx.reLaunch({ url: '/pages/home/home' })
  },
})
