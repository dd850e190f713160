/*
 * Kiosk, end to end: a search from the on-screen start menu -> large cards with this
 * store's stock and aisle; "Where is it?" -> the aisle in this store; then nobody touches
 * the screen -> "Are you still there?" -> the screen and the session are wiped.
 * Args: {base, menu_item, shots}. Prints RESULT {...}.
 */
'use strict';
const h = require('./harness.cjs');

h.main(async (args, out) => {
  const errors = [];
  out.errors = errors;
  const ctx = await h.launch({ viewport: { width: 1600, height: 1000 } });
  const page = await ctx.newPage();
  h.watch(page, errors);
  await page.goto(args.base + '/kiosk');
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-chat]').dataset.history));
  out.idle_timeout_s = parseInt(await page.getAttribute('body', 'data-idle-timeout'), 10);
  out.store = await page.textContent('[data-store-name]');
  out.session_1 = await page.getAttribute('[data-chat]', 'data-session-id');
  out.qr_1 = await page.getAttribute('[data-qr]', 'data-url');
  out.menu = await page.$$eval('[data-start-items] .start-item', (b) => b.map((x) => x.textContent));

  // 1. a search from the start menu -> big cards with this store's stock and aisle
  await page.evaluate(() => {
    window.__typingSeen = false;
    const t = document.querySelector('[data-chat-typing]');
    new MutationObserver(() => { if (!t.hidden) window.__typingSeen = true; }).observe(t, { attributes: true });
  });
  await page.getByRole('button', { name: args.menu_item, exact: true }).click();
  out.typing_shown = await page.evaluate(() => window.__typingSeen);
  await h.waitForReply(page, '[data-chat]', 0);
  await page.waitForSelector('.cards-product_cards .card', { timeout: 30000 });
  out.cards = await page.$$eval('.cards-product_cards .card', (els) => els.map((e) => ({
    id: e.dataset.productId,
    name: e.querySelector('.card-name').textContent,
    price: e.dataset.price === '' ? null : parseFloat(e.dataset.price),
    price_text: e.querySelector('.card-price').textContent,
    here: e.querySelector('.here').dataset.here,
    here_qty: e.querySelector('.here-qty').textContent,
    here_aisle: (e.querySelector('.here-aisle') || {}).textContent || '',
    staff_table_visible: !!(e.querySelector('.staff-only') && e.querySelector('.staff-only').offsetParent),
  })));
  out.user_bubbles = await page.$$eval('.msg.user .bubble', (b) => b.map((x) => x.textContent));
  out.shot_kiosk = await h.shot(page, args, 'kiosk.png');

  // 2. "Where is it?" on the first card
  const first = out.cards[0];
  await page.click(`.card[data-product-id="${first.id}"] [data-action="where"]`);
  await page.waitForSelector('dialog[data-where][open]');
  out.where = {
    product_id: await page.getAttribute('dialog[data-where]', 'data-product-id'),
    aisle: await page.getAttribute('dialog[data-where]', 'data-aisle'),
    big: await page.textContent('.where-big'),
    section: await page.textContent('.where-section').catch(() => ''),
    qty: await page.textContent('.where-qty').catch(() => ''),
    map_target: await page.textContent('.aisle-map .aisle.target').catch(() => null),
    map_size: await page.locator('.aisle-map .aisle').count(),
  };
  out.shot_where = await h.shot(page, args, 'kiosk-where.png');
  await page.getByRole('button', { name: 'Close' }).first().click();
  out.where_closed = !(await page.isVisible('dialog[data-where]'));
  const touched = Date.now();

  // 3. hands off: the warning, then the wipe
  await page.waitForSelector('dialog[data-idle][open]', { timeout: (out.idle_timeout_s + 20) * 1000 });
  out.warning_after_ms = Date.now() - touched;
  await page.waitForSelector('body[data-wipes="1"]', { timeout: (out.idle_timeout_s + 20) * 1000 });
  out.wiped_after_ms = Date.now() - touched;
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  const text = await page.innerText('body');
  out.after = {
    session: await page.getAttribute('[data-chat]', 'data-session-id'),
    stored_session: await page.evaluate(() => localStorage.getItem('shopguide.kiosk.session')),
    qr: await page.getAttribute('[data-qr]', 'data-url'),
    messages: await page.locator('[data-chat-log] .msg').count(),
    cards: await page.locator('.card').count(),
    dialogs_open: await page.locator('dialog[open]').count(),
    start_menu_visible: await page.isVisible('[data-start-items]'),
    started: await page.getAttribute('body', 'data-started'),
    old_names_visible: out.cards.some((c) => text.includes(c.name)),
    log_text: await page.innerText('[data-chat-log]'),
    input_value: await page.inputValue('[data-chat-input]'),
  };
  // the old conversation is not drawn again after a reload either
  await page.reload();
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-chat]').dataset.history));
  out.after_reload = {
    session: await page.getAttribute('[data-chat]', 'data-session-id'),
    messages: await page.locator('[data-chat-log] .msg').count(),
  };
  return {};
});
