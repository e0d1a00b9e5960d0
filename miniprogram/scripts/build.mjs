// Build the mini-program into dist/ (project.config.json's miniprogramRoot): tsc for the TypeScript, a copy
// for app.json / *.wxml / *.wxss / *.wxs / images. dist/ is exactly what WeChat uploads, so its size is the
// main package size (WeChat refuses a package over 2 MB; this project keeps it under 500 KB).
//   node scripts/build.mjs          build
//   node scripts/build.mjs --size   build, then print the size and fail over the budget
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
const BUDGET = 500 * 1024
const ROOT_FILES = ['app.json', 'app.wxss', 'sitemap.json']
const SOURCE_DIRS = ['pages', 'components', 'utils', 'images']
const COPIED = new Set(['.json', '.wxml', '.wxss', '.wxs', '.png', '.jpg', '.svg'])

function walk(dir) {
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
  return entries.flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
}

rmSync(dist, { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' })

const assets = [
  ...ROOT_FILES.map((f) => join(root, f)),
  ...SOURCE_DIRS.flatMap((d) => walk(join(root, d))).filter((f) => COPIED.has(extname(f))),
]
for (const file of assets) {
  const target = join(dist, relative(root, file))
  mkdirSync(dirname(target), { recursive: true })
  copyFileSync(file, target)
}

const files = walk(dist)
const total = files.reduce((sum, f) => sum + statSync(f).size, 0)
console.log(`dist/: ${files.length} files, ${(total / 1024).toFixed(1)} KB (main package budget ${BUDGET / 1024} KB)`)
if (process.argv.includes('--size') && total > BUDGET) {
  console.error(`main package is ${total} bytes, over the ${BUDGET}-byte budget`)
  process.exit(1)
}
