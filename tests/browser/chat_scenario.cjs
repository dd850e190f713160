/*
 * Web chat, end to end: type a request -> product cards; click a card's Details -> details;
 * reload -> the same conversation (from the server); the connection drops -> "Reconnecting…",
 * then back, and a message typed meanwhile still gets its answer.
 * Args: {base, query, shots}. Prints RESULT {...} (see harness.cjs).
 */
'use strict';
const h = require('./harness.cjs');

h.main(async (args, out) => {
  const errors = [];
  out.errors = errors;
  const ctx = await h.launch({ viewport: { width: 1100, height: 1000 } });
  const page = await ctx.newPage();
  h.watch(page, errors);
  await page.goto(args.base + '/chat');
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  out.session_id = await page.getAttribute('[data-chat]', 'data-session-id');
  out.transport = await page.evaluate(() => window.shopChat.socket.io.engine.transport.name);

  // 1. a shopping request -> product cards
  const input = page.getByLabel('Your message');
  await page.evaluate(() => {
    window.__typingSeen = false;
    const t = document.querySelector('[data-chat-typing]');
    new MutationObserver(() => { if (!t.hidden) window.__typingSeen = true; }).observe(t, { attributes: true });
  });
  await input.fill(args.query);
  await input.press('Enter');
  out.typing_shown = await page.evaluate(() => window.__typingSeen);
  await h.waitForReply(page, '[data-chat]', 0);
  await page.waitForSelector('.cards-product_cards .card', { timeout: 30000 });
  out.typing_after = await page.isVisible('[data-chat-typing]');
  out.cards = await h.cardsIn(page, '.cards-product_cards');
  out.quick_replies = await page.$$eval('.quick-replies:not([hidden]) .chip', (b) => b.map((x) => x.textContent));
  out.transport_after = await page.evaluate(() => window.shopChat.socket.io.engine.transport.name);
  out.shot_chat = await h.shot(page, args, 'web-chat.png');

  // 2. the first card's Details button -> a details card for that product
  const first = out.cards[0];
  const before = await page.locator('.msg.bot').count();
  await page.click(`.cards-product_cards .card[data-product-id="${first.id}"] [data-action="details"]`);
  await h.waitForReply(page, '[data-chat]', before);
  await page.waitForSelector(`.cards-product_details .card[data-product-id="${first.id}"]`, { timeout: 30000 });
  out.details = (await h.cardsIn(page, '.cards-product_details'))[0];
  out.details_stock = await page.$$eval('.cards-product_details .stock-table tbody tr', (rows) =>
    rows.map((r) => ({ store_id: r.dataset.storeId, cells: Array.from(r.children).map((c) => c.textContent) })));
  out.user_bubbles = await page.$$eval('.msg.user .bubble', (b) => b.map((x) => x.textContent));
  out.details_shown_as = out.user_bubbles[out.user_bubbles.length - 1];

  // 3. reload -> same session id, the conversation drawn again from /web/api/history
  const historyRequests = [];
  page.on('request', (r) => { if (r.url().includes('/web/api/history/')) historyRequests.push(r.url()); });
  await page.reload();
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-chat]').dataset.history));
  out.reload = {
    session_id: await page.getAttribute('[data-chat]', 'data-session-id'),
    history_requests: historyRequests,
    user_bubbles: await page.$$eval('.msg.user .bubble', (b) => b.map((x) => x.textContent)),
    cards: await h.cardsIn(page, '.cards-product_cards'),
    details: await h.cardsIn(page, '.cards-product_details'),
  };

  // 4. the connection drops and stays down for a while: a clear "Reconnecting…" state;
  //    a message typed meanwhile is sent and answered once the connection is back
  await page.route('**/socket.io/**', (route) => route.abort());
  if (ctx.routeWebSocket) await ctx.routeWebSocket(/socket\.io/, (ws) => ws.close());
  await page.evaluate(() => window.shopChat.socket.io.engine.close());
  await page.waitForSelector('[data-chat][data-state="reconnecting"]', { timeout: 10000 });
  out.reconnecting_text = await page.textContent('[data-chat-status]');
  out.reconnecting_visible = await page.isVisible('[data-chat-status]');
  await page.waitForTimeout(1500);
  const botsBefore = await page.locator('.msg.bot').count();
  await input.fill('cheaper');
  await input.press('Enter');
  await page.unroute('**/socket.io/**');
  if (ctx.routeWebSocket) await ctx.unrouteAll({ behavior: 'ignoreErrors' }).catch(() => {});
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  out.status_hidden_after = !(await page.isVisible('[data-chat-status]'));
  await h.waitForReply(page, '[data-chat]', botsBefore);
  out.after_reconnect_last_user = await page.$$eval('.msg.user .bubble', (b) => b[b.length - 1].textContent);
  out.after_reconnect_bot = await page.$$eval('.msg.bot .bubble', (b) => b[b.length - 1].textContent);
  out.session_after_reconnect = await page.getAttribute('[data-chat]', 'data-session-id');
  return {};
});
