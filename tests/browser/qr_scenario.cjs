/*
 * QR hand-off, end to end: a kiosk conversation; its QR code is read back from the
 * screen (decoded with jsQR from the canvas pixels) and opened on a second device (a
 * separate Chromium with its own profile, phone-sized): the same conversation is shown
 * and continues there.
 * Args: {base, query, follow_up, shots}. Prints RESULT {...}.
 */
'use strict';
const path = require('path');
const h = require('./harness.cjs');
const jsQR = require(path.join(h.REPO, 'web', 'node_modules', 'jsqr'));

h.main(async (args, out) => {
  const errors = [];
  out.errors = errors;
  const kiosk = await (await h.launch({ viewport: { width: 1600, height: 1000 } })).newPage();
  h.watch(kiosk, errors);
  await kiosk.goto(args.base + '/kiosk');
  await kiosk.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  await kiosk.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-chat]').dataset.history));
  const input = kiosk.getByLabel('Type what you are looking for');
  await input.fill(args.query);
  await input.press('Enter');
  await h.waitForReply(kiosk, '[data-chat]', 0);
  await kiosk.waitForSelector('.cards-product_cards .card', { timeout: 30000 });
  out.kiosk_session = await kiosk.getAttribute('[data-chat]', 'data-session-id');
  out.kiosk_cards = await h.cardsIn(kiosk, '.cards-product_cards');
  out.kiosk_user = await kiosk.$$eval('.msg.user .bubble', (b) => b.map((x) => x.textContent));
  out.qr_attr = await kiosk.getAttribute('[data-qr]', 'data-url');

  // read the QR code off the screen, as a phone camera would
  const img = await kiosk.evaluate(() => {
    const c = document.querySelector('[data-qr]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    return { w: c.width, h: c.height, data: Array.from(d.data) };
  });
  const decoded = jsQR(Uint8ClampedArray.from(img.data), img.w, img.h);
  out.qr_decoded = decoded ? decoded.data : null;
  if (!out.qr_decoded) throw new Error('the QR code on the kiosk could not be decoded');

  // a second device opens it
  const phoneCtx = await h.launch({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const phone = await phoneCtx.newPage();
  h.watch(phone, errors);
  await phone.goto(out.qr_decoded);
  await phone.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  await phone.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-chat]').dataset.history));
  out.phone = {
    session: await phone.getAttribute('[data-chat]', 'data-session-id'),
    address: phone.url(),
    stored: await phone.evaluate(() => localStorage.getItem('shopguide.session')),
    user: await phone.$$eval('.msg.user .bubble', (b) => b.map((x) => x.textContent)),
    cards: await h.cardsIn(phone, '.cards-product_cards'),
  };
  // ... and carries on the conversation there
  const before = await phone.locator('.msg.bot').count();
  const phoneInput = phone.getByLabel('Your message');
  await phoneInput.fill(args.follow_up);
  await phoneInput.press('Enter');
  await h.waitForReply(phone, '[data-chat]', before);
  out.phone_after = {
    user: await phone.$$eval('.msg.user .bubble', (b) => b.map((x) => x.textContent)),
    last_bot: await phone.$$eval('.msg.bot .bubble', (b) => b[b.length - 1].textContent),
    cards: await h.cardsIn(phone, '.cards-product_cards'),
  };
  out.shot_phone = await h.shot(phone, args, 'web-chat-phone.png');
  return {};
});
