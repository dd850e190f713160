/*
 * Shopping guide chat core, shared by the web chat (/chat) and the kiosk (/kiosk).
 *
 * Talks to Rasa's Socket.IO channel (socket.io-client 4 / Engine.IO v4, vendored in
 * /static/vendor): `session_request` -> `session_confirm`, `user_uttered` ->
 * `bot_uttered`. The session id lives in localStorage; the conversation itself is
 * read back from the server (/web/api/history/<id>, the Redis tracker), so a reload
 * or another device with the same id shows the same conversation.
 *
 * Renders text, quick replies (`quick_replies` / `buttons`), product cards from the
 * `custom` payload {type, act, cards} and a comparison table. Everything is put in
 * the page with textContent / DOM nodes, never as HTML.
 *
 * Hand-off to staff: a message whose metadata says {from: "staff"} is a person writing
 * (shown with their name). From the moment one joins (metadata.handoff "joined") until the
 * assistant is back ("released"), the shopper's messages go to that person, so no typing
 * indicator or "no answer" note is shown for them.
 */
(function (global) {
  'use strict';

  var SESSION_RE = /^[A-Za-z0-9_-]{16,128}$/;
  var REPLY_TIMEOUT_MS = 45000;

  function newSessionId() {
    // crypto.getRandomValues works on plain http too (randomUUID needs a secure context)
    var b = new Uint8Array(16);
    global.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  /** el('p', {class: 'x', text: 'hi', 'aria-label': '...', onclick: fn}, child, ...) */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    var a = attrs || {};
    Object.keys(a).forEach(function (k) {
      var v = a[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'class') node.className = v;
      else if (k.slice(0, 2) === 'on' && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
      else node.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /** The same format as actions/cards.py payload(): /intent{"entity":"value"} */
  function payload(intent, entities) {
    return '/' + intent + (entities ? JSON.stringify(entities) : '');
  }

  function inStockCount(card) {
    return (card.stock || []).filter(function (s) { return s.quantity > 0; }).length;
  }

  function parseAisle(label) {
    var m = /^Aisle\s+(\d+)\s*(?:-\s*(.*))?$/i.exec(String(label || '').trim());
    return m ? { number: parseInt(m[1], 10), section: m[2] || '' } : null;
  }

  function ShopChat(root, options) {
    this.root = root;
    this.opts = Object.assign({
      server: global.location.origin,
      storageKey: 'shopguide.session',
      mode: 'web',
      scroll: 'bottom',          // 'latest': keep the latest question at the top (kiosk)
      ownRepliesOnly: false,     // true: ignore replies to messages sent elsewhere (kiosk)
      metadata: function () { return {}; },
      onActivity: function () {},
      onSession: function () {},
      cardExtras: null,          // function(card, kind, article) -> adds kiosk bits
      cardActions: null,         // function(card, kind, cards) -> [{label, title, send|onClick}]
      comparisonRows: null,      // function(cards) -> extra [label, fn(card)] rows
    }, options || {});
    this.log = root.querySelector('[data-chat-log]');
    this.form = root.querySelector('[data-chat-form]');
    this.input = root.querySelector('[data-chat-input]');
    this.typing = root.querySelector('[data-chat-typing]');
    this.status = root.querySelector('[data-chat-status]');
    this.sessionId = null;
    this.socket = null;
    this.confirmed = false;
    this.pending = [];
    this.waiting = false;
    this.waitTimer = null;
    this.everConnected = false;
    this.generation = 0;
    this.acceptUntil = 0;
    this.withPerson = false;     // a member of staff has the conversation
    var self = this;
    if (this.form) {
      this.form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var text = self.input.value.trim();
        if (!text) return;
        self.input.value = '';
        self.send(text);
      });
    }
  }

  ShopChat.newSessionId = newSessionId;
  ShopChat.payload = payload;
  ShopChat.el = el;
  ShopChat.parseAisle = parseAisle;

  ShopChat.prototype.setState = function (state, text) {
    this.root.dataset.state = state;
    if (!this.status) return;
    if (text) {
      this.status.textContent = text;
      this.status.hidden = false;
    } else {
      this.status.textContent = '';
      this.status.hidden = true;
    }
  };

  /** Pick the session id: ?session= (QR hand-off) > localStorage > a new one. */
  ShopChat.prototype.chooseSession = function (fromUrl) {
    var id = null;
    if (fromUrl) {
      var params = new URLSearchParams(global.location.search);
      var q = params.get('session');
      if (q && SESSION_RE.test(q)) {
        id = q;
        params.delete('session');
        var rest = params.toString();
        // drop the id from the address bar so it is not shared or bookmarked by accident
        global.history.replaceState(null, '', global.location.pathname + (rest ? '?' + rest : ''));
      }
    }
    if (!id) {
      var stored = null;
      try { stored = global.localStorage.getItem(this.opts.storageKey); } catch (e) { /* private mode */ }
      if (stored && SESSION_RE.test(stored)) id = stored;
    }
    return id || newSessionId();
  };

  ShopChat.prototype.useSession = function (id) {
    this.sessionId = id;
    try { global.localStorage.setItem(this.opts.storageKey, id); } catch (e) { /* private mode */ }
    this.root.dataset.sessionId = id;
    this.opts.onSession(id);
  };

  ShopChat.prototype.start = function (fromUrl) {
    this.useSession(this.chooseSession(fromUrl));
    var self = this;
    return this.loadHistory().then(function () { self.connect(); });
  };

  /** Replace the log with the server's copy of the conversation. */
  ShopChat.prototype.loadHistory = function () {
    var self = this;
    var gen = this.generation;
    var id = this.sessionId;
    this.root.dataset.history = 'loading';
    return fetch(this.opts.server + '/web/api/history/' + encodeURIComponent(id), { cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('history: HTTP ' + r.status);
        return r.json();
      })
      .then(function (data) {
        if (gen !== self.generation) return;  // wiped meanwhile
        self.log.setAttribute('aria-busy', 'true');
        self.log.textContent = '';
        self.withPerson = false;
        (data.messages || []).forEach(function (m) {
          if (m.sender === 'user') self.renderUser(m.text);
          else self.renderBot(m);
        });
        self.onlyLastQuickReplies();
        self.log.setAttribute('aria-busy', 'false');
        self.root.dataset.history = String((data.messages || []).length);
        self.scrollDown();
        self.opts.onActivity('history');
      })
      .catch(function (e) {
        self.root.dataset.history = 'error';
        self.note('Could not load the earlier conversation (' + e.message + ').');
      });
  };

  ShopChat.prototype.connect = function () {
    var self = this;
    if (typeof global.io !== 'function') {
      this.setState('offline', 'The chat library is missing on the server (run `make web-assets`).');
      return;
    }
    this.confirmed = false;
    this.setState('connecting', this.everConnected ? 'Reconnecting…' : 'Connecting…');
    var socket = global.io(this.opts.server, {
      path: '/socket.io',
      transports: ['polling', 'websocket'],
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      timeout: 10000,
    });
    this.socket = socket;
    socket.on('connect', function () {
      if (socket !== self.socket) return;
      socket.emit('session_request', { session_id: self.sessionId });
    });
    socket.on('session_confirm', function (id) {
      if (socket !== self.socket) return;
      var again = self.everConnected;
      self.confirmed = true;
      self.everConnected = true;
      self.setState('ready', null);
      if (again) {
        // replies sent while we were away went nowhere: show the server's copy,
        // then what the shopper typed meanwhile, and send that
        self.loadHistory().then(function () {
          self.pending.forEach(function (p) { self.renderUser(p.metadata.display || p.message); });
          if (self.pending.length) self.startWaiting(); else self.stopWaiting();
          self.flush();
        });
      } else {
        self.flush();
      }
    });
    socket.on('bot_uttered', function (msg) {
      if (socket !== self.socket) return;
      var meta = (msg && msg.metadata) || {};
      if (self.opts.ownRepliesOnly && meta.from !== 'staff' && !meta.handoff) {
        // the kiosk shows only answers to its own questions: once its QR code has taken
        // the conversation to a phone, the phone's replies stay on the phone
        if (Date.now() > self.acceptUntil) return;
        self.acceptUntil = Date.now() + 5000;  // the rest of this reply (cards follow the text)
      }
      self.stopWaiting();
      self.renderBot(msg || {});
      self.scrollDown();
      self.opts.onActivity('bot');
      if (self.forgetting && msg && msg.text) self.forgotten(msg.text);
    });
    socket.on('disconnect', function (reason) {
      if (socket !== self.socket) return;
      self.confirmed = false;
      if (reason === 'io client disconnect') return;
      self.setState('reconnecting', 'Connection lost. Reconnecting…');
    });
    socket.io.on('reconnect_attempt', function (n) {
      if (socket !== self.socket) return;
      self.setState('reconnecting', 'Connection lost. Reconnecting… (attempt ' + n + ')');
    });
    socket.on('connect_error', function () {
      if (socket !== self.socket) return;
      self.setState('reconnecting', self.everConnected ? 'Connection lost. Reconnecting…' : 'Cannot reach the shopping guide. Retrying…');
    });
  };

  ShopChat.prototype.disconnect = function () {
    if (this.socket) {
      var s = this.socket;
      this.socket = null;
      s.off();
      s.io.off();
      s.disconnect();
    }
    this.confirmed = false;
  };

  ShopChat.prototype.flush = function () {
    while (this.pending.length && this.confirmed) {
      this.emit(this.pending.shift());
    }
  };

  ShopChat.prototype.emit = function (data) {
    this.socket.emit('user_uttered', data);
  };

  /** Send text or a button payload; `display` is what the shopper sees (a button's title). */
  ShopChat.prototype.send = function (text, display) {
    // a host page may attach metadata to every message (window.SHOPGUIDE_METADATA), e.g.
    // {replies: "templates"} for the dialogue's exact template wording
    var meta = Object.assign({}, window.SHOPGUIDE_METADATA || {}, this.opts.metadata());
    if (display) meta.display = display;
    // Rasa's SocketIOInput reads the metadata under `metadata_key` ("metadata" unless
    // credentials.yml says otherwise); rasa-webchat calls it `customData`: send both.
    var data = { message: text, session_id: this.sessionId, metadata: meta, customData: meta };
    this.renderUser(display || text);
    this.acceptUntil = Date.now() + REPLY_TIMEOUT_MS;
    this.hideQuickReplies();
    if (!this.withPerson) this.startWaiting();  // a person answers when they can
    this.scrollDown();
    this.opts.onActivity('user');
    if (this.confirmed && this.socket) this.emit(data);
    else this.pending.push(data);
  };

  ShopChat.prototype.startWaiting = function () {
    var self = this;
    this.waiting = true;
    if (this.typing) this.typing.hidden = false;
    this.root.dataset.waiting = 'true';
    clearTimeout(this.waitTimer);
    this.waitTimer = setTimeout(function () {
      if (!self.waiting) return;
      self.stopWaiting();
      self.note('No answer yet. The shopping guide may be busy: please try again.');
    }, REPLY_TIMEOUT_MS);
  };

  ShopChat.prototype.stopWaiting = function () {
    this.waiting = false;
    clearTimeout(this.waitTimer);
    if (this.typing) this.typing.hidden = true;
    this.root.dataset.waiting = 'false';
  };

  /** "Forget me": the assistant erases what it keeps about this session (and says so); then this
   *  screen starts afresh with a new session id, so nothing links the next messages to the old ones. */
  ShopChat.prototype.forgetMe = function () {
    this.forgetting = true;
    this.send('forget me', 'Forget me');
  };

  ShopChat.prototype.forgotten = function (confirmation) {
    this.forgetting = false;
    this.reset();
    this.note(confirmation);
  };

  /** Forget this conversation on this screen: new session id, empty log, fresh socket. */
  ShopChat.prototype.reset = function () {
    this.generation += 1;
    this.disconnect();
    this.stopWaiting();
    this.pending = [];
    this.log.textContent = '';
    this.everConnected = false;
    this.useSession(newSessionId());
    this.root.dataset.history = '0';
    this.connect();
  };

  ShopChat.prototype.scrollDown = function () {
    var log = this.log;
    var latest = this.opts.scroll === 'latest';
    global.requestAnimationFrame(function () {
      // the kiosk's cards are tall: show the latest question and the start of its answer
      var users = latest ? log.querySelectorAll('.msg.user') : [];
      var last = users[users.length - 1];
      if (last) log.scrollTop = last.offsetTop - 8;  // .log is position: relative
      else log.scrollTop = log.scrollHeight;
    });
  };

  ShopChat.prototype.note = function (text) {
    this.log.append(el('div', { class: 'msg note', text: text }));
    this.scrollDown();
  };

  ShopChat.prototype.renderUser = function (text) {
    this.log.append(el('div', { class: 'msg user' },
      el('span', { class: 'visually-hidden', text: 'You said: ' }),
      el('p', { class: 'bubble', text: text })));
  };

  ShopChat.prototype.hideQuickReplies = function () {
    this.log.querySelectorAll('.quick-replies').forEach(function (g) { g.hidden = true; });
  };

  ShopChat.prototype.onlyLastQuickReplies = function () {
    var groups = this.log.querySelectorAll('.quick-replies');
    groups.forEach(function (g, i) { g.hidden = i !== groups.length - 1; });
    // a reply given after the last buttons makes them stale too
    var last = groups[groups.length - 1];
    if (last) {
      var msg = last.closest('.msg');
      var next = msg && msg.nextElementSibling;
      while (next) {
        if (next.classList.contains('user')) { last.hidden = true; break; }
        next = next.nextElementSibling;
      }
    }
  };

  ShopChat.prototype.renderBot = function (msg) {
    var self = this;
    var meta = msg.metadata || {};
    if (meta.handoff === 'joined' || meta.from === 'staff') this.withPerson = true;
    if (meta.handoff === 'released') this.withPerson = false;
    this.root.dataset.withPerson = String(this.withPerson);
    if (meta.from === 'staff') return this.renderStaff(msg, meta);
    var custom = msg.custom && typeof msg.custom === 'object' ? this.renderCustom(msg.custom) : null;
    var buttons = (msg.quick_replies && msg.quick_replies.length ? msg.quick_replies : msg.buttons) || [];
    var att = msg.attachment;
    if (custom && !msg.text && !buttons.length) {
      // Socket.IO sends the cards as their own message right after the text and its
      // quick replies: show them inside that message, above its quick replies
      var prev = this.log.lastElementChild;
      if (prev && prev.classList.contains('bot') && !prev.querySelector('.cards, .comparison-wrap')) {
        var group = prev.querySelector('.quick-replies');
        prev.insertBefore(custom, group);
        return;
      }
    }
    var wrap = el('div', { class: 'msg bot' }, el('span', { class: 'visually-hidden', text: 'Shopping guide: ' }));
    if (msg.text) wrap.append(el('p', { class: 'bubble', text: msg.text }));
    if (att && att.type === 'image' && att.payload && att.payload.src) {
      wrap.append(el('img', { class: 'attachment', src: att.payload.src, alt: '' }));
    }
    if (custom) wrap.append(custom);
    if (buttons.length) {
      var qr = el('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Suggested replies' });
      buttons.forEach(function (b) {
        if (!b || b.payload === undefined) return;
        qr.append(el('button', {
          type: 'button', class: 'chip', text: b.title || b.payload,
          onclick: function () { self.send(String(b.payload), b.title || String(b.payload)); },
        }));
      });
      this.hideQuickReplies();
      wrap.append(qr);
    }
    if (wrap.childNodes.length > 1) this.log.append(wrap);
  };

  /** A message from a member of staff: their name, then their words (never HTML). */
  ShopChat.prototype.renderStaff = function (msg, meta) {
    var self = this;
    var name = meta.staff ? meta.staff + ' (store staff)' : 'Store staff';
    var wrap = el('div', { class: 'msg bot staff', dataset: { from: 'staff', handoff: meta.handoff || '' } },
      el('p', { class: 'staff-name', text: name }),
      el('span', { class: 'visually-hidden', text: ' says: ' }),
      el('p', { class: 'bubble', text: msg.text || '' }));
    var buttons = (msg.quick_replies && msg.quick_replies.length ? msg.quick_replies : msg.buttons) || [];
    if (buttons.length) {
      var qr = el('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Suggested replies' });
      buttons.forEach(function (b) {
        if (!b || b.payload === undefined) return;
        qr.append(el('button', {
          type: 'button', class: 'chip', text: b.title || b.payload,
          onclick: function () { self.send(String(b.payload), b.title || String(b.payload)); },
        }));
      });
      this.hideQuickReplies();
      wrap.append(qr);
    }
    this.log.append(wrap);
  };

  ShopChat.prototype.renderCustom = function (custom) {
    var cards = Array.isArray(custom.cards) ? custom.cards : [];
    if (!cards.length) return null;
    var kind = custom.type || 'product_cards';
    if (kind === 'comparison') return this.renderComparison(cards);
    var list = el('div', { class: 'cards cards-' + kind, role: 'list', dataset: { kind: kind } });
    var self = this;
    cards.forEach(function (c) { list.append(self.renderCard(c, kind, cards)); });
    return list;
  };

  ShopChat.prototype.defaultActions = function (card, kind, cards) {
    var name = card.name;
    var acts = [];
    if (kind !== 'cart_update') {
      acts.push({ label: 'Add', title: 'Add ' + name + ' to the cart', send: payload('choose', { product_id: card.id }), display: 'Add: ' + name });
    }
    if (kind !== 'product_details') {
      acts.push({ label: 'Details', title: 'Details of ' + name, send: payload('ask_details', { product_id: card.id }), display: 'Details: ' + name });
    }
    if (kind === 'product_cards' && cards.length > 1) {
      acts.push({ label: 'Compare', title: 'Compare these products', send: payload('compare'), display: 'Compare' });
    }
    return acts;
  };

  ShopChat.prototype.actionButton = function (a) {
    var self = this;
    return el('button', {
      type: 'button', class: 'card-btn' + (a.className ? ' ' + a.className : ''), text: a.label,
      'aria-label': a.title || a.label, dataset: { action: a.key || a.label.toLowerCase() },
      onclick: function () {
        if (a.onClick) a.onClick();
        else self.send(a.send, a.display || a.label);
      },
    });
  };

  ShopChat.prototype.stockTable = function (card) {
    var rows = card.stock || [];
    if (!rows.length) return null;
    var table = el('table', { class: 'stock-table' },
      el('caption', { class: 'visually-hidden', text: 'Stock of ' + card.name + ' by store' }),
      el('thead', null, el('tr', null,
        el('th', { scope: 'col', text: 'Store' }), el('th', { scope: 'col', text: 'In stock' }),
        el('th', { scope: 'col', text: 'Aisle' }))));
    var body = el('tbody');
    rows.forEach(function (s) {
      body.append(el('tr', { dataset: { storeId: s.store_id } },
        el('th', { scope: 'row', text: s.store || s.store_id }),
        el('td', { text: String(s.quantity) }),
        el('td', { text: s.aisle || '—' })));
    });
    table.append(body);
    return table;
  };

  ShopChat.prototype.renderCard = function (card, kind, cards) {
    var titleId = 'card-' + card.id + '-' + Math.random().toString(36).slice(2, 8);
    var article = el('article', {
      class: 'card', role: 'listitem', 'aria-labelledby': titleId,
      dataset: { productId: card.id, price: card.price === null || card.price === undefined ? '' : String(card.price), kind: kind },
    });
    if (kind === 'cart_update') article.append(el('p', { class: 'card-flag', text: 'Added to your cart' }));
    article.append(el('img', { class: 'card-img', src: card.image || '/static/placeholder-product.svg', alt: '', loading: 'lazy' }));
    var body = el('div', { class: 'card-body' },
      card.position ? el('span', { class: 'card-pos', text: '#' + card.position }) : null,
      el('h3', { class: 'card-name', id: titleId, text: card.name }),
      card.brand ? el('p', { class: 'card-brand', text: card.brand }) : null,
      el('p', { class: 'card-price', text: card.price_text || '' }),
      card.rating !== null && card.rating !== undefined
        ? el('p', { class: 'card-rating' },
          el('span', { 'aria-hidden': 'true', text: '★ ' + card.rating + ' / 5' }),
          el('span', { class: 'visually-hidden', text: 'Rated ' + card.rating + ' out of 5' }))
        : null,
      card.reason && card.reason !== 'rated ' + card.rating + '/5' ? el('p', { class: 'card-reason', text: card.reason }) : null,
      card.options_text ? el('p', { class: 'card-options', text: card.options_text }) : null);
    article.append(body);
    if (this.opts.cardExtras) {
      this.opts.cardExtras(card, kind, body, this);
    } else if (kind === 'product_details' || kind === 'stock') {
      var t = this.stockTable(card);
      if (t) body.append(t);
    } else if ((card.stock || []).length) {
      var n = inStockCount(card);
      body.append(el('p', { class: 'card-stock', text: n ? 'In stock at ' + n + ' store' + (n === 1 ? '' : 's') : 'Out of stock in stores' }));
    }
    var acts = this.defaultActions(card, kind, cards);
    if (this.opts.cardActions) acts = this.opts.cardActions(card, kind, cards, acts);
    if (acts.length) {
      var bar = el('div', { class: 'card-actions' });
      var self = this;
      acts.forEach(function (a) { bar.append(self.actionButton(a)); });
      article.append(bar);
    }
    return article;
  };

  ShopChat.prototype.renderComparison = function (cards) {
    var self = this;
    var table = el('table', { class: 'comparison', dataset: { kind: 'comparison' } },
      el('caption', { text: 'Side by side' }));
    var head = el('tr', null, el('td', { class: 'corner' }));
    cards.forEach(function (c) {
      head.append(el('th', { scope: 'col', dataset: { productId: c.id } }, c.name));
    });
    table.append(el('thead', null, head));
    var rows = [
      ['Price', function (c) { return c.price_text || ''; }],
      ['Brand', function (c) { return c.brand || '—'; }],
      ['Rating', function (c) { return c.rating === null || c.rating === undefined ? '—' : c.rating + ' / 5'; }],
      ['Category', function (c) { return String(c.category || '').split(' > ').pop() || '—'; }],
      ['Stock', function (c) { var n = inStockCount(c); return n ? 'In stock at ' + n + ' store' + (n === 1 ? '' : 's') : 'Out of stock'; }],
    ];
    if (this.opts.comparisonRows) rows = this.opts.comparisonRows(rows);
    var body = el('tbody');
    rows.forEach(function (r) {
      var tr = el('tr', null, el('th', { scope: 'row', text: r[0] }));
      cards.forEach(function (c) { tr.append(el('td', { text: r[1](c) })); });
      body.append(tr);
    });
    var act = el('tr', null, el('th', { scope: 'row' }, el('span', { class: 'visually-hidden', text: 'Actions' })));
    cards.forEach(function (c) {
      var td = el('td', { class: 'comparison-actions' });
      self.defaultActions(c, 'comparison', cards).forEach(function (a) { td.append(self.actionButton(a)); });
      act.append(td);
    });
    body.append(act);
    table.append(body);
    return el('div', { class: 'comparison-wrap', role: 'region', 'aria-label': 'Comparison table', tabindex: '0' }, table);
  };

  global.ShopChat = ShopChat;
})(window);
