/*
 * Embed the shopping guide on any page:
 *   <script src="https://SHOP-GUIDE-HOST/static/embed.js" defer></script>
 * adds a "Chat with us" button that opens the web chat (/chat) in a panel (an iframe,
 * so the page's styles and the chat's cannot clash; the conversation is kept per browser).
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var open = false;
  var button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Chat with us';
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'shopguide-embed-frame');
  button.style.cssText = 'position:fixed;right:16px;bottom:16px;z-index:2147483000;padding:12px 18px;' +
    'border:0;border-radius:24px;background:#1d4ed8;color:#fff;font:600 16px system-ui,sans-serif;cursor:pointer;' +
    'box-shadow:0 4px 14px rgba(0,0,0,.25)';
  var frame = document.createElement('iframe');
  frame.id = 'shopguide-embed-frame';
  frame.title = 'Shopping guide chat';
  frame.src = origin + '/chat?embed=1';
  frame.hidden = true;
  frame.style.cssText = 'position:fixed;right:16px;bottom:72px;z-index:2147483000;width:min(400px,calc(100vw - 32px));' +
    'height:min(640px,calc(100vh - 96px));border:1px solid #c5cdd8;border-radius:12px;background:#fff;' +
    'box-shadow:0 8px 28px rgba(0,0,0,.25)';
  button.addEventListener('click', function () {
    open = !open;
    frame.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    button.textContent = open ? 'Close chat' : 'Chat with us';
  });
  document.body.append(frame, button);
})();
