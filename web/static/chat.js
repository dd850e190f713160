/* The web chat page (/chat): one ShopChat on the whole page. ?session=<id> (the kiosk's QR)
   opens that conversation here; ?embed=1 (static/embed.js iframe) hides the page header. */
(function () {
  'use strict';
  var root = document.querySelector('[data-chat]');
  var params = new URLSearchParams(window.location.search);
  if (params.get('embed') === '1') document.body.classList.add('embedded');
  var chat = new window.ShopChat(root, { storageKey: 'shopguide.session', mode: 'web' });
  window.shopChat = chat;  // for debugging and the browser tests
  chat.start(true).then(function () {
    if (root.dataset.history === '0') {
      chat.note('Hi! Tell me what you are looking for, e.g. "running shoes under $80" or "a gift for my dad".');
    }
  });
  var forget = document.querySelector('[data-forget-me]');
  forget.addEventListener('click', function () {
    // two steps instead of a blocking confirm(): the first click asks, the second deletes
    if (forget.dataset.armed !== 'true') {
      forget.dataset.armed = 'true';
      forget.textContent = 'Delete everything? Click again';
      setTimeout(function () { forget.dataset.armed = 'false'; forget.textContent = 'Forget me'; }, 6000);
      return;
    }
    forget.dataset.armed = 'false';
    forget.textContent = 'Forget me';
    chat.forgetMe();
  });
  document.querySelector('[data-new-chat]').addEventListener('click', function () {
    chat.reset();
    chat.note('New conversation. What are you looking for?');
    document.getElementById('chat-input').focus();
  });
})();
