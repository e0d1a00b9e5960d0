/* global setTimeout, clearTimeout */
/** Stops what global-setup.js started: closing its stdin makes scripts/e2e_server.py shut down and clean up. */
module.exports = async function globalTeardown() {
  const child = globalThis.__QX_MP_E2E__
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.stdin.end()
  const timer = setTimeout(() => child.kill('SIGTERM'), 15000)
  await exited
  clearTimeout(timer)
}
