module.exports = async () => {
  const child = global.__SV_SERVER__
  if (!child || child.exitCode !== null) return
  await new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve() }, 15000)
    child.on('exit', () => { clearTimeout(timer); resolve() })
    child.stdin.end() // the server stops when its stdin closes, and drops its scratch database
  })
}
