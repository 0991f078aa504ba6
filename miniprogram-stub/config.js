// Where the mini-program finds the API. Change apiBase for your server (or set it at run time with
// api.setBaseUrl(); it is kept in storage). The local `scripts/run` serves http://127.0.0.1:8000/api/v1.
module.exports = {
  apiBase: 'http://127.0.0.1:8000/api/v1',
  // a read on a weak network is tried again after these pauses (ms); a write only when no answer came
  // back, or the server said it was briefly unavailable, and always with the same Idempotency-Key
  retryDelays: [400, 1200, 2500],
  timeoutMs: 10000,
}
