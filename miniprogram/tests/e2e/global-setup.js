/* global setTimeout, clearTimeout, fetch */
/**
 * Starts scripts/e2e_server.py (the real Django server on a temporary SQLite database with the demo school,
 * the fake WeChat server, and a control server) and hands its addresses to the tests in QUXIANG_MP_E2E.
 * The suite runs in band, so the tests see this process's environment.
 */
const { spawn } = require('child_process')
const path = require('path')

const ROOT = path.join(__dirname, '..', '..')
const PYTHON = process.env.QUXIANG_PYTHON || process.env.PYTHON || path.join(ROOT, '..', '.venv', 'bin', 'python')
const START_TIMEOUT_MS = 90000

module.exports = async function globalSetup() {
  const started = Date.now()
  const child = spawn(PYTHON, [path.join(ROOT, 'scripts', 'e2e_server.py')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
  globalThis.__QX_MP_E2E__ = child
  let log = ''
  child.stderr.on('data', (c) => { log += c.toString() })
  const line = await new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`e2e servers did not start in ${START_TIMEOUT_MS / 1000}s:\n${log}`)), START_TIMEOUT_MS)
    child.stdout.on('data', (c) => {
      out += c.toString()
      const nl = out.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(out.slice(0, nl))
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`scripts/e2e_server.py exited with ${code}:\n${log}`))
    })
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new Error(`cannot run ${PYTHON} (set PYTHON to the project's venv python, or create ../.venv: make install): ${err.message}`))
    })
  })
  // The types the API lists, so that tests/e2e/types.test.ts has one test per type (a new type is covered).
  const env = JSON.parse(line)
  const answer = await fetch(`${env.control}/destination-types`)
  if (!answer.ok) throw new Error(`GET /api/v1/reference/destination-types (via the control server): ${await answer.text()}`)
  env.destination_types = await answer.json()
  process.env.QUXIANG_MP_E2E = JSON.stringify(env)
  process.stdout.write(`\n[e2e] servers ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${line}\n`)
}
