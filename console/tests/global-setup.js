// One API over a fresh demo for the whole run (the specs run one after another, in one worker).
import { startServer } from './harness.js'

export default async function globalSetup() {
  const srv = await startServer()
  process.env.CONSOLE_TEST_API = srv.api
  process.env.CONSOLE_TEST_WECHAT = srv.wechat
  return async () => {
    await srv.stop()
  }
}
