const h = require('./harness')

describe('login and binding', () => {
  test('a bound villager goes straight to the home page', async () => {
    h.installWx({ person: 'zhangdashan' })
    const page = await h.openPage('login')
    expect(h.wxState.navigations).toEqual([{ kind: 'reLaunch', url: '/pages/home/home' }])
    expect(h.wxState.store.get('sv_token')).toBeTruthy()
  })
})
