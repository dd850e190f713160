/*
 * Shared by the browser scenarios: start Debian's Chromium headless through playwright-core
 * (from web/node_modules) with a fresh profile, and print one JSON result line for pytest.
 *
 *   const h = require('./harness.cjs');
 *   h.main(async (args, ctx) => { const page = await ctx.newPage(); ...; return {...}; });
 *
 * args: JSON from argv[2] ({base, shots, ...}). The result goes to stdout as
 * `RESULT {...}`; on failure `RESULT {"error": ..., "partial": ...}` and exit code 1.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const REPO = path.resolve(__dirname, '..', '..');
const WEB = path.join(REPO, 'web');
const CHROMIUM = process.env.SHOPGUIDE_CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

function playwright() {
  return require(path.join(WEB, 'node_modules', 'playwright-core'));
}

const dirs = [];
const contexts = [];

/** A new browser (own process, own fresh --user-data-dir): a separate device. */
async function launch(options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shopguide-chromium-'));
  dirs.push(dir);
  const ctx = await playwright().chromium.launchPersistentContext(dir, Object.assign({
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
    timeout: 60000,
  }, options || {}));
  // the tests check exact wording: every message asks the stack for its template replies
  await ctx.addInitScript(() => { window.SHOPGUIDE_METADATA = { replies: 'templates' }; });
  contexts.push(ctx);
  return ctx;
}

async function cleanup() {
  for (const c of contexts.splice(0)) {
    try { await c.close(); } catch (e) { /* already gone */ }
  }
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Collect page console errors and failed requests, to report with the result. */
function watch(page, into) {
  page.on('pageerror', (e) => into.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') into.push('console: ' + m.text()); });
}

/** Wait until the conversation shows a new bot message after `count` and it settles. */
async function waitForReply(page, root, before, timeout) {
  await page.waitForFunction(([r, n]) => document.querySelectorAll(r + ' .msg.bot').length > n,
    [root, before], { timeout: timeout || 60000 });
  // a reply may come as several messages (text, then cards): wait until none arrives for 800 ms
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const n = await page.locator(root + ' .msg.bot').count();
    if (n === last) break;
    last = n;
    await page.waitForTimeout(800);
  }
}

function cardsIn(page, scope) {
  return page.$$eval(scope + ' .card', (els) => els.map((e) => ({
    id: e.dataset.productId,
    kind: e.dataset.kind,
    price: e.dataset.price === '' ? null : parseFloat(e.dataset.price),
    name: (e.querySelector('.card-name') || {}).textContent || '',
    price_text: (e.querySelector('.card-price') || {}).textContent || '',
    text: e.textContent,
  })));
}

function main(fn) {
  const args = JSON.parse(process.argv[2] || '{}');
  const partial = {};
  const started = Date.now();
  const timer = setTimeout(() => {
    console.log('RESULT ' + JSON.stringify({ error: 'scenario timed out', partial }));
    cleanup().finally(() => process.exit(1));
  }, (args.timeout_s || 240) * 1000);
  fn(args, partial)
    .then((out) => {
      console.log('RESULT ' + JSON.stringify(Object.assign({ ms: Date.now() - started }, partial, out || {})));
      return cleanup().then(() => { clearTimeout(timer); process.exit(0); });
    })
    .catch((e) => {
      console.log('RESULT ' + JSON.stringify({ error: String(e && e.stack || e), partial }));
      return cleanup().then(() => { clearTimeout(timer); process.exit(1); });
    });
}

async function shot(page, args, name, options) {
  if (!args.shots) return null;
  const file = path.join(args.shots, name);
  fs.mkdirSync(args.shots, { recursive: true });
  await page.screenshot(Object.assign({ path: file }, options || {}));
  return file;
}

module.exports = { launch, cleanup, watch, waitForReply, cardsIn, main, shot, FLAGS, CHROMIUM, REPO };
