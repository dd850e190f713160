/*
 * "Forget me" in the web chat: say a preference, press Forget me twice (the first press asks),
 * the assistant confirms, and the page starts a new session id.
 * Args: {base}. Prints RESULT {...} (see harness.cjs).
 */
'use strict';
const h = require('./harness.cjs');

h.main(async (args, out) => {
  const errors = [];
  out.errors = errors;
  const ctx = await h.launch({ viewport: { width: 1100, height: 900 } });
  const page = await ctx.newPage();
  h.watch(page, errors);
  await page.goto(args.base + '/chat');
  await page.waitForSelector('[data-chat][data-state="ready"]', { timeout: 30000 });
  out.session_before = await page.getAttribute('[data-chat]', 'data-session-id');
  const input = page.getByLabel('Your message');
  await input.fill("I'm vegan and I love Pantry Lane");
  await input.press('Enter');
  await h.waitForReply(page, '[data-chat]', 0);
  out.noted = await page.$$eval('[data-chat] .msg.bot', (m) => m.map((x) => x.textContent).join('\n'));
  const button = page.locator('[data-forget-me]');
  await button.click();
  out.armed_label = await button.textContent();
  await button.click();
  await page.waitForFunction((before) => {
    const root = document.querySelector('[data-chat]');
    return root.dataset.sessionId !== before;
  }, out.session_before, { timeout: 60000 });
  await page.waitForTimeout(500);
  out.session_after = await page.getAttribute('[data-chat]', 'data-session-id');
  out.log_after = await page.$eval('[data-chat-log]', (l) => l.textContent);
  out.stored = await page.evaluate(() => window.localStorage.getItem('shopguide.session'));
});
