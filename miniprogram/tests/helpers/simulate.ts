/**
 * Loading a page into miniprogram-simulate: the real component framework (j-component) with the WXML
 * compiled by WeChat's official compiler (wcc, shipped in miniprogram-compiler), rendered into jsdom.
 */
import { readdirSync } from 'fs'
import * as path from 'path'
import * as simulate from 'miniprogram-simulate'
import type * as ConfigModule from '../../config'
import { settle, TEST_CONFIG } from './fake-wx'

export const ROOT = path.join(__dirname, '..', '..')

function wxmlFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? wxmlFiles(path.join(dir, e.name)) : e.name.endsWith('.wxml') ? [path.join(dir, e.name)] : [],
  )
}

// Every page's WXML (wcc needs the whole set); never the built copies in dist/.
const WXML = wxmlFiles('pages')

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Page = simulate.Component<any, any, any>

/**
 * simulate runs the page's module with require(); jest caches modules, so a second load in the same file
 * would not call Component() again. Each load therefore gets its own module registry, and the client's
 * config in that registry is pointed at the fake server too.
 */
export function renderPage(page: string, configOverrides: Partial<ConfigModule.ClientConfig> = {}): Page {
  let id = ''
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { config } = require('../../config') as typeof ConfigModule
    Object.assign(config, TEST_CONFIG, { getRetryDelaysMs: [...TEST_CONFIG.getRetryDelaysMs] }, configOverrides)
    id = simulate.load(path.join(ROOT, page), { compiler: 'official', rootPath: ROOT, compilerOptions: { wxmlList: WXML } })
  })
  const comp = simulate.render(id)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

/** Text of the element matching selector, or null when it is not rendered. */
export function text(page: Page, selector: string): string | null {
  const node = page.querySelector(selector)
  return node ? ((node.dom as HTMLElement).textContent ?? '').trim() : null
}

interface JsonNode {
  tagName: string
  attrs: Array<{ name: string; value?: unknown }>
  children: Array<JsonNode | string>
}

/**
 * The attributes of the node with this id, as the compiled template set them (wcc turns aria-label into
 * ariaLabel, as in WeChat); jsdom's elements do not carry them.
 */
export function attrs(page: Page, id: string): Record<string, unknown> | null {
  const walk = (node: JsonNode | string): Record<string, unknown> | null => {
    if (typeof node === 'string') return null
    const own: Record<string, unknown> = {}
    for (const a of node.attrs) own[a.name] = a.value
    if (own.id === id) return own
    for (const child of node.children) {
      const found = walk(child)
      if (found) return found
    }
    return null
  }
  return walk(page.toJSON())
}

// j-component delivers events asynchronously: each helper waits until the handler (and what it awaits
// from the fake wx) has run.
export async function type(page: Page, selector: string, value: string): Promise<void> {
  const node = page.querySelector(selector)
  if (!node) throw new Error(`no ${selector}`)
  node.dispatchEvent('input', { detail: { value } })
  await settle()
}

export async function tap(page: Page, selector: string): Promise<void> {
  const node = page.querySelector(selector)
  if (!node) throw new Error(`no ${selector}`)
  node.dispatchEvent('tap')
  await settle()
}

export { simulate }
