// Headless tests of the mini-program: miniprogram-simulate renders each page, utils/api.js talks over real
// HTTP to the API and the WeChat stand-in started by test/global-setup.js (see test/README in ../README.md).
module.exports = {
  testEnvironment: 'jsdom',
  testMatch: ['<rootDir>/test/**/*.test.js'],
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  testTimeout: 30000,
  maxWorkers: 1,
}
