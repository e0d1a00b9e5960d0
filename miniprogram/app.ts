// The app itself holds no state: the token lives in wx storage (utils/storage.ts) and every page asks the
// API for what it shows, so a page opened from a notification works on its own.
App<IAppOption>({
  globalData: {},
  onLaunch() {
    // A new version published while the app was cached: apply it at the next safe moment.
    if (typeof wx.getUpdateManager !== 'function') return
    const manager = wx.getUpdateManager()
    manager.onUpdateReady(() => {
      wx.showModal({
        title: '更新提示',
        content: '新版本已经准备好，是否重启小程序？',
        success: (res) => {
          if (res.confirm) manager.applyUpdate()
        },
      })
    })
  },
})
