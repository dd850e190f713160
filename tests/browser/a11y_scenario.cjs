/*
 * Accessibility: the chat used with the keyboard only (Tab to the message box, type, Enter;
 * Tab to a card's Details button, Enter), the comparison table, the layout at phone width,
 * and axe-core's WCAG 2.1 A/AA checks (contrast, names, roles...) on the chat and the kiosk
 * with cards and dialogs on screen.
 * Args: {base, query}. Prints RESULT {...}.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const h = require('./harness.cjs');

const AXE = fs.readFileSync(path.join(h.REPO, 'web', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function axe(page) {
  // evaluate() is not subject to the page's Content-Security-Policy
  await page.evaluate(AXE);
  const r = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return {
    passes: r.passes.length,
    violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })),
  };
}

async function tabTo(page, predicate, max) {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(predicate)) return i;
  }
  return -1;
}

h.main(async (args, out) => {
  const errors = [];
  out.errors = errors;
  const ctx = await h.launch({ viewport: { width: 1100, height: 900 } });
  const page = await ctx.newPage();
  h.watch(page, errors);
  await page.goto(args.base + '/chat');
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });

  // keyboard only
  out.tabs_to_input = await tabTo(page, () => document.activeElement && document.activeElement.id === 'chat-input', 10);
  await page.keyboard.type(args.query);
  await page.keyboard.press('Enter');
  await h.waitForReply(page, '[data-chat]', 0);
  await page.waitForSelector('.cards-product_cards .card');
  out.tabs_to_details = await tabTo(page, () => document.activeElement && document.activeElement.dataset.action === 'details', 60);
  out.focused_label = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
  let before = await page.locator('.msg.bot').count();
  await page.keyboard.press('Enter');
  await h.waitForReply(page, '[data-chat]', before);
  out.details_after_keyboard = await page.locator('.cards-product_details .card').count();

  // the comparison table
  before = await page.locator('.msg.bot').count();
  await page.locator('.cards-product_cards [data-action="compare"]').first().click();
  await h.waitForReply(page, '[data-chat]', before);
  await page.waitForSelector('table.comparison');
  out.comparison = await page.$eval('table.comparison', (t) => ({
    columns: Array.from(t.querySelectorAll('thead th')).map((th) => ({ id: th.dataset.productId, name: th.textContent })),
    rows: Array.from(t.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.children).map((c) => c.textContent)),
  }));
  out.log_role = await page.getAttribute('[data-chat-log]', 'role');
  out.log_live = await page.getAttribute('[data-chat-log]', 'aria-live');
  out.axe_chat = await axe(page);

  // phone width: nothing wider than the screen
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(300);
  out.narrow_overflow_px = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  out.axe_chat_narrow = await axe(page);

  // the kiosk with cards, then with "Where is it?" open
  const kiosk = await ctx.newPage();
  h.watch(kiosk, errors);
  await kiosk.goto(args.base + '/kiosk');
  await kiosk.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  out.axe_kiosk_start = await axe(kiosk);
  await kiosk.getByRole('button', { name: 'Tea', exact: true }).click();
  await h.waitForReply(kiosk, '[data-chat]', 0);
  await kiosk.waitForSelector('.cards-product_cards .card');
  out.axe_kiosk_cards = await axe(kiosk);
  await kiosk.locator('[data-action="where"]').first().click();
  await kiosk.waitForSelector('dialog[data-where][open]');
  out.axe_kiosk_where = await axe(kiosk);
  await kiosk.keyboard.press('Escape');
  out.where_closed_by_escape = !(await kiosk.isVisible('dialog[data-where]'));
  out.min_touch_target_px = await kiosk.$$eval('.start-item, .card-btn, .chip, [data-chat-send]', (els) =>
    Math.min(...els.filter((e) => e.offsetParent).map((e) => Math.min(e.getBoundingClientRect().height, e.getBoundingClientRect().width))));
  return {};
});
