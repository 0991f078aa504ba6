// 阳光村务 mini-program. The pages read the API through utils/api.js; nothing is kept here but the
// signed-in person's /me answer, shared by the pages once loaded.
const api = require('./utils/api')

App({
  globalData: {
    me: null,
  },

  onLaunch() {
    // nothing to do up front: the first call that needs a token runs wx.login (utils/api.js)
  },

  // /me, loaded once per launch (pages that need the village id call this)
  async loadMe(force = false) {
    if (!this.globalData.me || force) this.globalData.me = await api.get('/me')
    return this.globalData.me
  },

  forgetMe() {
    this.globalData.me = null
  },
})
