/*
 * Hand-off to staff, in two browsers: a shopper (the web chat, or the kiosk's Help button) asks
 * for a person; a member of staff opens /staff in another browser, unlocks it with the PIN, sees
 * the shopper in the queue (the kiosk's store first), takes them and replies; the shopper sees the
 * reply live, marked as staff. While staff have the conversation the bot stays silent (the
 * shopper's message reaches the console instead). "back to the bot" (web chat) or the console's
 * "Hand back to the assistant" (kiosk) hands it back, and the bot answers again. axe-core checks the console (queue and conversation) and the checkout page.
 * Args: {base, pin, session, mode: "chat"|"kiosk", store, ask, checkout_url, shots}. Prints RESULT {...}.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const h = require('./harness.cjs');

const AXE = fs.readFileSync(path.join(h.REPO, 'web', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function axe(page) {
  await page.evaluate(AXE);
  const r = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), TAGS);
  return {
    passes: r.passes.length,
    violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })),
  };
}

const botCount = (page) => page.locator('[data-chat-log] .msg.bot:not(.staff)').count();
const staffTexts = (page) => page.$$eval('[data-chat-log] .msg.staff', (m) => m.map((x) => ({
  name: (x.querySelector('.staff-name') || {}).textContent || '',
  text: (x.querySelector('.bubble') || {}).textContent || '',
  handoff: x.dataset.handoff || '',
})));

h.main(async (args, out) => {
  const errors = [];
  out.errors = errors;
  const kiosk = args.mode === 'kiosk';

  // ---- the shopper: web chat or kiosk, with a session id the test knows
  const shopperCtx = await h.launch({ viewport: kiosk ? { width: 1600, height: 1000 } : { width: 1100, height: 900 } });
  await shopperCtx.addInitScript(([key, id]) => { if (!localStorage.getItem(key)) localStorage.setItem(key, id); },
    [kiosk ? 'shopguide.kiosk.session' : 'shopguide.session', args.session]);
  const shopper = await shopperCtx.newPage();
  h.watch(shopper, errors);
  await shopper.goto(args.base + (kiosk ? '/kiosk' : '/chat'));
  await shopper.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  // the kiosk wipes itself after a few idle seconds in the tests: the shopper keeps touching it
  if (kiosk) await shopper.evaluate(() => setInterval(() => document.dispatchEvent(new Event('pointerdown')), 1500));
  out.shopper_session = await shopper.getAttribute('[data-chat]', 'data-session-id');
  if (kiosk) {
    await shopper.getByRole('button', { name: 'Help', exact: true }).click();
  } else {
    const box = shopper.getByLabel('Your message');
    await box.fill(args.ask);
    await box.press('Enter');
  }
  await h.waitForReply(shopper, '[data-chat]', 0);
  out.ask_reply = await shopper.$$eval('[data-chat-log] .msg.bot .bubble', (b) => b.map((x) => x.textContent));

  // ---- staff: another browser, the console behind the PIN
  const staffCtx = await h.launch({ viewport: { width: 1300, height: 950 } });
  const staff = await staffCtx.newPage();
  h.watch(staff, errors);
  await staff.goto(args.base + '/staff' + (args.store ? '?store=' + encodeURIComponent(args.store) : ''));
  out.axe_unlock = await axe(staff);
  await staff.getByLabel('Your name (the shopper sees it)').fill('Ann');
  await staff.getByLabel('Staff PIN').fill(args.pin === '0000' ? '1111' : '0000');
  await staff.getByRole('button', { name: 'Unlock' }).click();
  await staff.waitForFunction(() => document.querySelector('[data-unlock-error]').textContent.length > 0);
  out.wrong_pin = await staff.textContent('[data-unlock-error]');
  await staff.getByLabel('Staff PIN').fill(args.pin);
  await staff.getByRole('button', { name: 'Unlock' }).click();
  await staff.waitForSelector('body[data-state="unlocked"]');
  out.store_filter = await staff.inputValue('[data-store-filter]');
  const item = `[data-waiting] li[data-sender="${args.session}"]`;
  await staff.waitForSelector(item, { timeout: 20000 });
  out.queue = await staff.$$eval('[data-waiting] li.handoff', (li) => li.map((x) => ({ sender: x.dataset.sender, store_id: x.dataset.storeId, text: x.textContent })));
  out.axe_queue = await axe(staff);
  out.shot_queue = await h.shot(staff, args, kiosk ? 'staff-console-kiosk.png' : 'staff-console.png');

  // take them
  await staff.locator(`${item} [data-take]`).click();
  await staff.waitForSelector('body[data-convo-status="mine"]', { timeout: 15000 });
  out.focused_after_take = await staff.evaluate(() => document.activeElement && document.activeElement.id);
  out.convo_take_visible = await staff.isVisible('[data-convo-take]');
  out.convo_release_visible = await staff.isVisible('[data-convo-release]');
  out.convo_title = await staff.textContent('[data-convo-title]');
  out.before = await staff.$$eval('[data-before] li', (li) => li.map((x) => x.textContent));
  await shopper.waitForSelector('.msg.staff[data-handoff="joined"]', { timeout: 15000 });
  out.joined = (await staffTexts(shopper))[0];
  out.back_button_visible = await shopper.getByRole('button', { name: 'Back to the assistant' }).last().isVisible();

  // a reply reaches the shopper live, as staff
  await staff.getByLabel('Reply to the shopper').fill('Hi, I am Ann. What are you looking for?');
  await staff.getByLabel('Reply to the shopper').press('Enter');
  await shopper.waitForFunction(() => Array.from(document.querySelectorAll('.msg.staff .bubble')).some((b) => /I am Ann/.test(b.textContent)), null, { timeout: 15000 });
  out.staff_messages = await staffTexts(shopper);
  out.axe_convo = await axe(staff);
  out.axe_shopper_with_staff = await axe(shopper);
  out.shot_convo = await h.shot(staff, args, kiosk ? 'staff-conversation-kiosk.png' : 'staff-conversation.png');
  out.shot_shopper = await h.shot(shopper, args, kiosk ? 'kiosk-staff-reply.png' : 'web-chat-staff-reply.png');

  // while staff have it, the bot is silent and staff see the message
  const botsBefore = await botCount(shopper);
  const input = kiosk ? shopper.getByLabel('Type what you are looking for') : shopper.getByLabel('Your message');
  await input.fill('do you have tents?');
  await input.press('Enter');
  await staff.waitForFunction(() => Array.from(document.querySelectorAll('[data-thread] .line.from-shopper')).some((l) => /do you have tents/.test(l.textContent)), null, { timeout: 15000 });
  await shopper.waitForTimeout(4000);
  out.bot_replies_while_staff = (await botCount(shopper)) - botsBefore;
  out.typing_while_staff = await shopper.isVisible('[data-chat-typing]');
  out.notes_while_staff = await shopper.$$eval('[data-chat-log] .msg.note', (n) => n.map((x) => x.textContent).filter((t) => !/^Hi! Tell me/.test(t)));

  // back to the assistant (the shopper says so on the web chat; on the kiosk, staff hand back), then the bot answers again
  const before2 = await botCount(shopper);
  if (kiosk) {
    await staff.getByRole('button', { name: 'Hand back to the assistant' }).click();
  } else {
    await input.fill('back to the bot');
    await input.press('Enter');
  }
  await shopper.waitForFunction((n) => document.querySelectorAll('[data-chat-log] .msg.bot:not(.staff)').length > n, before2, { timeout: 20000 });
  out.released_text = await shopper.$$eval('[data-chat-log] .msg.bot:not(.staff) .bubble', (b) => b[b.length - 1].textContent);
  await staff.waitForSelector('body[data-convo-status="released"]', { timeout: 15000 });
  out.console_after_release = await staff.$$eval('[data-thread] .line', (l) => l.map((x) => ({ from: x.dataset.from, event: x.dataset.event })));
  const before3 = await botCount(shopper);
  await input.fill('show me backpacks');
  await input.press('Enter');
  await h.waitForReply(shopper, '[data-chat]', before3);
  await shopper.waitForSelector('.cards-product_cards .card', { timeout: 30000 });
  out.cards_after_release = await shopper.locator('.cards-product_cards .card').count();

  // the conversation survives a reload with the staff messages in it
  if (!kiosk) {
    await shopper.reload();
    await shopper.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
    await shopper.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-chat]').dataset.history));
    out.after_reload = { staff: await staffTexts(shopper), with_person: await shopper.getAttribute('[data-chat]', 'data-with-person') };
  }

  // the server stops accepting the sign-in (it expired): the console asks for the PIN again, saying why
  await staff.route('**/web/api/staff/**', (route) => route.fulfill({
    status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'your sign-in expired: enter the PIN again' }) }));
  await staff.waitForSelector('body[data-state="locked"]', { timeout: 15000 });
  out.after_expiry = {
    error: await staff.textContent('[data-unlock-error]'),
    pin_focused: await staff.evaluate(() => document.activeElement && document.activeElement.id),
    console_visible: await staff.isVisible('[data-console]'),
  };
  await staff.unroute('**/web/api/staff/**');
  await staff.getByLabel('Staff PIN').fill(args.pin);
  await staff.getByRole('button', { name: 'Unlock' }).click();
  await staff.waitForSelector('body[data-state="unlocked"]');
  out.after_expiry.unlocked_again = true;

  // the checkout page, accessible too
  if (args.checkout_url) {
    const co = await staffCtx.newPage();
    h.watch(co, errors);
    const resp = await co.goto(args.checkout_url);
    out.checkout = { status: resp.status(), title: await co.title(), h1: await co.textContent('h1'), total: await co.textContent('.co-total') };
    out.axe_checkout = await axe(co);
    out.shot_checkout = await h.shot(co, args, 'checkout.png', { fullPage: true });
  }
  return {};
});
