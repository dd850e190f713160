/*
 * Untrusted catalog text in a real browser: a product whose name is an <img onerror> payload and
 * whose brand is a <script> tag is shown as text on the web chat (a search's product card, its
 * Details, the conversation drawn again after a reload), on the staff console (a hand-off whose
 * shopper looked at it) and on the checkout page of an order containing it. On every page: no
 * JavaScript dialog opened, no <img src="x">, no element with an onerror attribute, no injected
 * <script>, and the payload is there as text.
 * Args: {base, pin, query, product_id, name, brand, handoff_sender, checkout_url, shots}.
 * Prints RESULT {...} (see harness.cjs).
 */
'use strict';
const h = require('./harness.cjs');

/** What an injection would have left in the page, and whether the payload is on it as text. */
function inspect(page, texts) {
  return page.evaluate((wanted) => ({
    img_x: Array.from(document.images).filter((i) => i.getAttribute('src') === 'x' || /\/x$/.test(i.src)).length,
    onerror: document.querySelectorAll('[onerror]').length,
    scripts: Array.from(document.scripts).filter((s) => /alert\(/.test(s.textContent) || /alert\(/.test(s.src)).length,
    text: wanted.map((t) => document.body.textContent.includes(t)),
  }), texts);
}

/** Record (and dismiss) every JavaScript dialog a page opens: alert(1) from the payload would be one. */
function catchDialogs(page, dialogs, where) {
  page.on('dialog', (d) => { dialogs.push(where + ': ' + d.type() + ' ' + d.message()); d.dismiss().catch(() => {}); });
}

async function webChat(args, out, dialogs, errors) {
  const ctx = await h.launch({ viewport: { width: 1100, height: 1000 } });
  const page = await ctx.newPage();
  h.watch(page, errors);
  catchDialogs(page, dialogs, 'chat');
  await page.goto(args.base + '/chat');
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  const input = page.getByLabel('Your message');
  await input.fill(args.query);
  await input.press('Enter');
  await h.waitForReply(page, '[data-chat]', 0);
  await page.waitForSelector('.cards-product_cards .card', { timeout: 30000 });
  out.chat_cards = await h.cardsIn(page, '.cards-product_cards');
  const card = `.cards-product_cards .card[data-product-id="${args.product_id}"]`;
  out.chat_card = await page.$eval(card, (c) => ({
    name: (c.querySelector('.card-name') || {}).textContent || '',
    brand: (c.querySelector('.card-brand') || {}).textContent || '',
  }));
  out.chat_reply = await page.$$eval('[data-chat-log] .msg.bot .bubble', (b) => b.map((x) => x.textContent));

  // its Details button: the shopper's bubble says "Details: <name>", the details card names it
  const before = await page.locator('.msg.bot').count();
  await page.click(`${card} [data-action="details"]`);
  await h.waitForReply(page, '[data-chat]', before);
  await page.waitForSelector(`.cards-product_details .card[data-product-id="${args.product_id}"]`, { timeout: 30000 });
  out.chat_details_name = await page.textContent(`.cards-product_details .card[data-product-id="${args.product_id}"] .card-name`);
  out.chat_user_bubbles = await page.$$eval('.msg.user .bubble', (b) => b.map((x) => x.textContent));
  await page.waitForTimeout(1000);  // an onerror handler would have run by now
  out.chat = await inspect(page, [args.name, args.brand]);
  out.shot_chat = await h.shot(page, args, 'untrusted-chat.png');

  // the same conversation drawn again from the server's history
  await page.reload();
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-chat]').dataset.history));
  await page.waitForTimeout(1000);
  out.chat_history = await inspect(page, [args.name, args.brand]);
  out.chat_history_cards = await h.cardsIn(page, '.cards-product_cards');
}

async function staffConsole(args, out, dialogs, errors) {
  const ctx = await h.launch({ viewport: { width: 1300, height: 950 } });
  const page = await ctx.newPage();
  h.watch(page, errors);
  catchDialogs(page, dialogs, 'staff');
  await page.goto(args.base + '/staff');
  await page.getByLabel('Your name (the shopper sees it)').fill('Ann');
  await page.getByLabel('Staff PIN').fill(args.pin);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.waitForSelector('body[data-state="unlocked"]');
  const item = `[data-waiting] li[data-sender="${args.handoff_sender}"]`;
  await page.waitForSelector(item, { timeout: 20000 });
  await page.locator(`${item} button`, { hasText: 'Open' }).click();
  await page.waitForSelector('[data-looking-box]:not([hidden]) [data-looking] li', { timeout: 15000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-before] li').length > 0, null, { timeout: 15000 });
  out.staff_looking = await page.$$eval('[data-looking] li', (li) => li.map((x) => x.textContent));
  out.staff_looking_names = await page.$$eval('[data-looking] li strong', (s) => s.map((x) => x.textContent));
  out.staff_before = await page.$$eval('[data-before] li', (li) => li.map((x) => x.textContent));
  await page.waitForTimeout(1000);
  out.staff = await inspect(page, [args.name]);
  out.shot_staff = await h.shot(page, args, 'untrusted-staff.png');
}

async function checkout(args, out, dialogs, errors) {
  const ctx = await h.launch({ viewport: { width: 1000, height: 900 } });
  const page = await ctx.newPage();
  h.watch(page, errors);
  catchDialogs(page, dialogs, 'checkout');
  const resp = await page.goto(args.checkout_url);
  out.checkout_status = resp.status();
  out.checkout_lines = await page.$$eval('.co-lines tbody th', (th) => th.map((x) => x.textContent));
  out.checkout_title = await page.title();
  await page.waitForTimeout(1000);
  out.checkout = await inspect(page, [args.name]);
  out.shot_checkout = await h.shot(page, args, 'untrusted-checkout.png', { fullPage: true });
}

h.main(async (args, out) => {
  const errors = [];
  const dialogs = [];
  out.errors = errors;
  out.dialogs = dialogs;
  await webChat(args, out, dialogs, errors);
  await staffConsole(args, out, dialogs, errors);
  await checkout(args, out, dialogs, errors);
  return {};
});
