/*
 * Kiosk staff mode: a shopper presses Help; a wrong PIN is refused; the right PIN (typed
 * on the on-screen keypad) unlocks staff mode, which lists that shopper among those who
 * asked for help, looks up a product's stock in every store, and shows every store's
 * stock on the cards. Locking hides it again.
 * Args: {base, pin, product_query, shots}. Prints RESULT {...}.
 */
'use strict';
const h = require('./harness.cjs');

async function typePin(page, pin) {
  await page.click('[data-pin-pad] [aria-label="Clear"]');
  for (const d of pin) await page.click(`[data-pin-pad] [aria-label="${d}"]`);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

h.main(async (args, out) => {
  const errors = [];
  out.errors = errors;
  const page = await (await h.launch({ viewport: { width: 1600, height: 1000 } })).newPage();
  h.watch(page, errors);
  await page.goto(args.base + '/kiosk');
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  out.session = await page.getAttribute('[data-chat]', 'data-session-id');

  // a shopper searches, then asks for help from the start menu
  const input = page.getByLabel('Type what you are looking for');
  await input.fill(args.product_query);
  await input.press('Enter');
  await h.waitForReply(page, '[data-chat]', 0);
  await page.waitForSelector('.cards-product_cards .card', { timeout: 30000 });
  out.card_ids = await page.$$eval('.cards-product_cards .card', (c) => c.map((x) => x.dataset.productId));
  // a stock question from the kiosk is answered for the kiosk's store first (its metadata)
  let before = await page.locator('.msg.bot').count();
  await input.fill('is the first one in stock?');
  await input.press('Enter');
  await h.waitForReply(page, '[data-chat]', before);
  out.stock_answer = await page.$$eval('.msg.bot .bubble', (b) => b[b.length - 1].textContent);
  before = await page.locator('.msg.bot').count();
  await page.getByRole('button', { name: 'Help', exact: true }).click();
  await h.waitForReply(page, '[data-chat]', before);
  out.staff_button_visible = await page.isVisible('[data-staff-open]');
  out.staff_tables_before = await page.locator('.staff-only table').evaluateAll((t) => t.filter((x) => x.offsetParent).length);

  // wrong PIN
  await page.click('[data-staff-open]');
  await page.waitForSelector('dialog[data-pin][open]');
  await typePin(page, args.pin === '0000' ? '1111' : '0000');
  await page.waitForFunction(() => document.querySelector('[data-pin-error]').textContent.length > 0);
  out.wrong_pin_error = await page.textContent('[data-pin-error]');
  out.staff_mode_after_wrong = await page.evaluate(() => document.body.classList.contains('staff-mode'));

  // right PIN on the keypad
  await typePin(page, args.pin);
  await page.waitForSelector('dialog[data-staff][open]');
  out.staff_mode = await page.evaluate(() => document.body.classList.contains('staff-mode'));
  await page.waitForFunction(() => !/Loading/.test(document.querySelector('[data-help-list]').textContent));
  out.help = await page.$$eval('[data-help-list] li', (li) => li.map((x) => ({ session: x.dataset.sessionId || null, text: x.textContent })));

  await page.fill('[data-stock-q]', out.card_ids[0]);
  await page.getByRole('button', { name: 'Look up' }).click();
  await page.waitForSelector('[data-stock-results] .staff-product');
  out.lookup = await page.$$eval('[data-stock-results] .staff-product', (ps) => ps.map((p) => ({
    id: p.dataset.productId,
    rows: Array.from(p.querySelectorAll('tbody tr')).map((r) => ({ store_id: r.dataset.storeId, qty: r.children[1].textContent, aisle: r.children[2].textContent })),
  })));
  out.shot_staff = await h.shot(page, args, 'kiosk-staff.png');
  await page.getByRole('button', { name: 'Close' }).last().click();
  out.staff_tables_on_cards = await page.locator('.staff-only table').evaluateAll((t) => t.filter((x) => x.offsetParent).length);
  out.cards_in_log = await page.locator('[data-chat-log] .card').count();

  // the server stops accepting the sign-in (it expired): opening staff mode asks for the PIN again
  await page.route('**/web/api/staff/**', (route) => route.fulfill({
    status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'your sign-in expired: enter the PIN again' }) }));
  await page.click('[data-staff-open]');
  await page.waitForSelector('dialog[data-pin][open]', { timeout: 10000 });
  out.after_expiry = {
    error: await page.textContent('[data-pin-error]'),
    staff_open: await page.isVisible('dialog[data-staff][open]'),
    staff_mode: await page.evaluate(() => document.body.classList.contains('staff-mode')),
  };
  await page.unroute('**/web/api/staff/**');
  await typePin(page, args.pin);
  await page.waitForSelector('dialog[data-staff][open]');
  out.after_expiry.unlocked_again = await page.evaluate(() => document.body.classList.contains('staff-mode'));

  await page.getByRole('button', { name: 'Lock staff mode' }).click();
  out.staff_mode_after_lock = await page.evaluate(() => document.body.classList.contains('staff-mode'));
  out.staff_tables_after_lock = await page.locator('.staff-only table').evaluateAll((t) => t.filter((x) => x.offsetParent).length);
  return {};
});
