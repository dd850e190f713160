/*
 * The in-store kiosk (/kiosk): touch-first chat for one store (SHOPGUIDE_KIOSK_STORE).
 * Every message carries {store_id, kiosk: true} as metadata, so stock answers are
 * about this store. Cards show this store's stock and aisle and a "Where is it?" view.
 * After SHOPGUIDE_KIOSK_IDLE_TIMEOUT_S without a touch the screen and the session are
 * wiped (new session id). The QR code opens the current conversation on a phone
 * (/chat?session=<id>). Staff mode (SHOPGUIDE_KIOSK_STAFF_PIN) shows stock in every
 * store and the shoppers waiting for a person (the hand-off queue, this store's first). The PIN
 * buys a sign-in token, kept in memory only (sent as Authorization: Bearer) and dropped when staff
 * lock, the kiosk wipes itself, or the server says it expired (401: the PIN is asked again).
 * The start menu's Help asks for a member of staff (/request_human, with this store).
 */
(function () {
  'use strict';
  var el = window.ShopChat.el;
  var body = document.body;
  var root = document.querySelector('[data-chat]');
  var $ = function (sel) { return document.querySelector(sel); };

  var cfg = null;
  var chat = null;
  var staffToken = null;  // the staff sign-in (memory only)
  var lastActivity = Date.now();
  var armed = false;

  function storeId() { return cfg.store.id; }

  function hereOf(card) {
    return (card.stock || []).filter(function (s) { return s.store_id === storeId(); })[0] || null;
  }

  // ------------------------------------------------------------------ cards
  function cardExtras(card, kind, cardBody, sc) {
    var here = hereOf(card);
    var box = el('div', { class: 'here', dataset: { here: here && here.quantity > 0 ? 'yes' : 'no' } });
    if (here && here.quantity > 0) {
      box.append(el('p', { class: 'here-qty', text: here.quantity + ' in stock here' }),
        el('p', { class: 'here-aisle', text: here.aisle || '' }));
    } else {
      var elsewhere = (card.stock || []).filter(function (s) { return s.quantity > 0 && s.store_id !== storeId(); });
      box.append(el('p', { class: 'here-qty none', text: 'Not in stock in this store' }));
      if (elsewhere.length) {
        box.append(el('p', { class: 'here-aisle', text: 'Available at ' + elsewhere.map(function (s) { return s.store + ' (' + s.quantity + ')'; }).join(', ') }));
      }
    }
    cardBody.append(box);
    var table = sc.stockTable(card);
    if (table) {
      cardBody.append(el('div', { class: 'staff-only' },
        el('p', { class: 'staff-label', text: 'Staff: stock in every store' }), table));
    }
  }

  function cardActions(card, kind, cards, defaults) {
    var where = { key: 'where', label: 'Where is it?', title: 'Where is ' + card.name + ' in this store?', className: 'primary',
      onClick: function () { showWhere(card); } };
    return [where].concat(defaults);
  }

  function comparisonRows(rows) {
    return rows.map(function (r) {
      if (r[0] !== 'Stock') return r;
      return ['Here', function (c) {
        var here = hereOf(c);
        return here && here.quantity > 0 ? here.quantity + ' · ' + here.aisle : 'Not in stock here';
      }];
    });
  }

  // ------------------------------------------------------------------ where is it?
  function showWhere(card) {
    var dlg = $('[data-where]');
    var here = hereOf(card);
    $('[data-where-product]').textContent = card.name + (card.brand ? ' · ' + card.brand : '');
    var answer = $('[data-where-answer]');
    answer.textContent = '';
    var map = $('[data-aisle-map]');
    map.textContent = '';
    var aisle = here ? window.ShopChat.parseAisle(here.aisle) : null;
    dlg.dataset.productId = card.id;
    dlg.dataset.aisle = here ? here.aisle || '' : '';
    if (here && aisle) {
      answer.append(el('p', { class: 'where-big', text: 'Aisle ' + aisle.number }),
        el('p', { class: 'where-section', text: aisle.section }),
        el('p', { class: 'where-qty', text: here.quantity > 0 ? here.quantity + ' in stock here' : 'Out of stock right now: ask a member of staff' }));
    } else if (here) {
      answer.append(el('p', { class: 'where-big', text: here.aisle || 'Ask a member of staff' }));
    } else {
      answer.append(el('p', { class: 'where-big', text: 'Not sold in this store' }));
    }
    var n = cfg.store.aisles || 0;
    map.hidden = !(aisle && n);
    for (var i = 1; aisle && i <= n; i++) {
      var li = el('li', { class: i === aisle.number ? 'aisle target' : 'aisle', text: String(i) });
      if (i === aisle.number) li.setAttribute('aria-current', 'location');
      else li.setAttribute('aria-hidden', 'true');
      map.append(li);
    }
    openDialog(dlg);
    activity('where');
  }

  // ------------------------------------------------------------------ dialogs
  function openDialog(dlg) {
    if (!dlg.open) dlg.showModal();
  }

  function closeAll() {
    document.querySelectorAll('dialog').forEach(function (d) { if (d.open) d.close(); });
  }

  document.querySelectorAll('dialog [data-close]').forEach(function (b) {
    b.addEventListener('click', function () { b.closest('dialog').close(); });
  });

  // ------------------------------------------------------------------ QR hand-off
  function handoffUrl(id) {
    var base = (cfg && cfg.public_base_url) || window.location.origin;
    return base + '/chat?session=' + encodeURIComponent(id);
  }

  function renderQr(id) {
    var canvas = $('[data-qr]');
    var url = handoffUrl(id);
    canvas.dataset.url = url;
    $('[data-qr-url]').textContent = url;
    if (typeof window.qrcode !== 'function') {
      $('[data-qr-url]').textContent = 'QR library missing (run `make web-assets`): ' + url;
      return;
    }
    var qr = window.qrcode(0, 'M');
    qr.addData(url);
    qr.make();
    var count = qr.getModuleCount();
    var quiet = 4;
    var scale = Math.max(2, Math.floor(canvas.width / (count + 2 * quiet)));
    var size = scale * (count + 2 * quiet);
    canvas.width = size;
    canvas.height = size;
    var g = canvas.getContext('2d');
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, size, size);
    g.fillStyle = '#000000';
    for (var r = 0; r < count; r++) {
      for (var c = 0; c < count; c++) {
        if (qr.isDark(r, c)) g.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
      }
    }
  }

  // ------------------------------------------------------------------ idle timeout
  function activity(kind) {
    lastActivity = Date.now();
    if (kind !== 'history') armed = true;
    var idle = $('[data-idle]');
    if (idle.open) idle.close();
    if (kind === 'user') body.dataset.started = 'true';
  }

  function wipe() {
    closeAll();
    lockStaff();
    chat.reset();
    $('[data-chat-input]').value = '';
    $('[data-stock-results]').textContent = '';
    $('[data-help-list]').textContent = '';
    body.dataset.started = 'false';
    body.dataset.wipes = String(parseInt(body.dataset.wipes || '0', 10) + 1);
    armed = false;
    window.scrollTo(0, 0);
  }

  function tick() {
    if (!armed || !cfg) return;
    // a pending reply, or a member of staff talking to this shopper, is not idleness
    if (chat.waiting || chat.withPerson) { lastActivity = Date.now(); return; }
    var limit = cfg.idle_timeout_s;
    var idle = (Date.now() - lastActivity) / 1000;
    var warnFor = Math.min(10, Math.ceil(limit / 3));
    if (idle >= limit) {
      wipe();
    } else if (idle >= limit - warnFor) {
      var dlg = $('[data-idle]');
      $('[data-idle-count]').textContent = String(Math.ceil(limit - idle));
      if (!dlg.open) dlg.showModal();
    }
  }

  ['pointerdown', 'keydown', 'input', 'wheel'].forEach(function (type) {
    document.addEventListener(type, function () { activity('touch'); }, { capture: true, passive: true });
  });
  $('[data-still-here]').addEventListener('click', function () { activity('touch'); });

  // ------------------------------------------------------------------ staff mode
  function lockStaff() {
    staffToken = null;
    body.classList.remove('staff-mode');
  }

  function askPin(message) {
    $('[data-pin-input]').value = '';
    $('[data-pin-error]').textContent = message || '';
    openDialog($('[data-pin]'));
    $('[data-pin-input]').focus();
  }

  /** The sign-in is over (expired, or the server no longer knows it): back to the PIN. */
  function signedOut() {
    if (!staffToken) return;
    lockStaff();
    if ($('[data-staff]').open) $('[data-staff]').close();
    askPin('Your sign-in expired — enter the PIN again');
  }

  function staffFetch(path) {
    return fetch(path, { headers: { Authorization: 'Bearer ' + (staffToken || '') }, cache: 'no-store' }).then(function (r) {
      return r.json().then(function (data) {
        if (r.status === 401) signedOut();
        if (!r.ok) throw new Error(data.error || ('HTTP ' + r.status));
        return data;
      });
    });
  }

  function buildPinPad() {
    var pad = $('[data-pin-pad]');
    var input = $('[data-pin-input]');
    ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'Clear', '0', 'Delete'].forEach(function (k) {
      pad.append(el('button', {
        type: 'button', class: 'pin-key', text: k === 'Delete' ? '⌫' : k, 'aria-label': k,
        onclick: function () {
          if (k === 'Clear') input.value = '';
          else if (k === 'Delete') input.value = input.value.slice(0, -1);
          else input.value += k;
        },
      }));
    });
  }

  $('[data-staff-open]').addEventListener('click', function () {
    if (staffToken) { openDialog($('[data-staff]')); loadHelp(); return; }
    askPin('');
  });

  $('[data-pin-form]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var pin = $('[data-pin-input]').value;
    fetch('/web/api/staff/unlock', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ pin: pin }) })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (!res.ok || !res.data.token) { $('[data-pin-error]').textContent = res.data.error || 'Wrong PIN'; return; }
        staffToken = res.data.token;
        $('[data-pin-input]').value = '';
        body.classList.add('staff-mode');
        $('[data-pin]').close();
        openDialog($('[data-staff]'));
        loadHelp();
      })
      .catch(function (e) { $('[data-pin-error]').textContent = 'Could not check the PIN: ' + e.message; });
  });

  $('[data-staff-lock]').addEventListener('click', function () { lockStaff(); $('[data-staff]').close(); });

  $('[data-stock-form]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = $('[data-stock-q]').value.trim();
    var out = $('[data-stock-results]');
    if (!q) return;
    out.textContent = 'Looking up…';
    staffFetch('/web/api/staff/stock?q=' + encodeURIComponent(q)).then(function (data) {
      out.textContent = '';
      if (!data.products.length) { out.append(el('p', { text: 'No product matches "' + q + '".' })); return; }
      data.products.forEach(function (p) {
        out.append(el('div', { class: 'staff-product', dataset: { productId: p.id } },
          el('h4', { text: p.name + ' (' + p.id + ') · ' + p.price_text }),
          chat.stockTable(p)));
      });
    }).catch(function (e) { out.textContent = e.message; });
  });

  function ago(ts) {
    var s = Math.max(0, Math.round(Date.now() / 1000 - ts));
    return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
  }

  function loadHelp() {
    var list = $('[data-help-list]');
    list.textContent = '';
    list.append(el('li', { text: 'Loading…' }));
    $('[data-console-link]').setAttribute('href', '/staff?store=' + encodeURIComponent(storeId()));
    staffFetch('/web/api/staff/handoffs?store=' + encodeURIComponent(storeId())).then(function (data) {
      list.textContent = '';
      var all = data.waiting.concat(data.taken);
      if (!all.length) { list.append(el('li', { text: 'Nobody is waiting for a person.' })); return; }
      all.forEach(function (r) {
        var where = r.store ? r.store + (r.store_id === storeId() ? ' kiosk' : '') : (r.channel === 'socketio' ? 'web chat' : (r.channel || 'chat'));
        var status = r.status === 'taken' ? 'with ' + r.staff : 'waiting ' + Math.round(r.waited_s / 60) + ' min (#' + r.position + ')';
        list.append(el('li', { class: 'help-item', dataset: { sessionId: r.sender, status: r.status } },
          el('strong', { text: where }),
          ' · ' + status + (r.preview ? ' · “' + r.preview + '”' : '') + ' · conversation ' + r.sender.slice(0, 8)));
      });
    }).catch(function (e) { list.textContent = ''; list.append(el('li', { text: e.message })); });
    var held = $('[data-pickup-list]');
    held.textContent = '';
    staffFetch('/web/api/staff/reservations?store=' + encodeURIComponent(storeId())).then(function (data) {
      if (!data.reservations.length) { held.append(el('li', { text: 'No pickup reservations at this store.' })); return; }
      data.reservations.forEach(function (r) {
        var until = new Date(r.deadline * 1000);
        held.append(el('li', { class: 'pickup-item', dataset: { code: r.code } },
          el('strong', { text: r.code }),
          ' · ' + r.quantity + ' x ' + r.name + (r.variant ? ' (' + r.variant + ')' : '') +
          ' · until ' + ('0' + until.getHours()).slice(-2) + ':' + ('0' + until.getMinutes()).slice(-2)));
      });
    }).catch(function (e) { held.append(el('li', { text: e.message })); });
  }

  $('[data-help-refresh]').addEventListener('click', loadHelp);

  // ------------------------------------------------------------------ start
  function buildStartMenu() {
    var grid = $('[data-start-items]');
    cfg.start_menu.forEach(function (item) {
      grid.append(el('button', {
        type: 'button', class: 'start-item', text: item.title,
        onclick: function () { chat.send(item.text, item.title); },
      }));
    });
  }

  function renderStore() {
    var s = cfg.store;
    $('[data-store-name]').textContent = '· ' + s.name;
    document.title = 'Shopping guide – ' + s.name + ' kiosk';
    var card = $('[data-store-card]');
    card.append(el('h2', { text: s.name }));
    if (s.address) card.append(el('p', { text: s.address }));
    if (s.hours) card.append(el('p', { text: s.hours }));
    if (cfg.error) {
      var box = $('[data-config-error]');
      box.textContent = 'Kiosk set-up problem: ' + cfg.error;
      box.hidden = false;
    }
  }

  $('[data-start-over]').addEventListener('click', wipe);
  // "Forget me": the assistant erases this session's data and confirms; the screen then starts afresh
  // (the idle wipe starts a new session too, so the next shopper never inherits a profile)
  $('[data-forget-me]').addEventListener('click', function () { if (chat) chat.forgetMe(); });

  fetch('/web/api/config', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (data) {
    cfg = data;
    body.dataset.idleTimeout = String(cfg.idle_timeout_s);
    renderStore();
    buildStartMenu();
    buildPinPad();
    $('[data-staff-open]').hidden = !cfg.staff_enabled;
    chat = new window.ShopChat(root, {
      storageKey: 'shopguide.kiosk.session',
      mode: 'kiosk',
      scroll: 'latest',
      ownRepliesOnly: true,
      metadata: function () { return { store_id: storeId(), kiosk: true }; },
      onActivity: function (kind) {
        activity(kind);
        if (kind === 'history' && root.dataset.history !== '0') { body.dataset.started = 'true'; armed = true; }
      },
      onSession: renderQr,
      cardExtras: cardExtras,
      cardActions: cardActions,
      comparisonRows: comparisonRows,
    });
    window.kioskChat = chat;  // for debugging and the browser tests
    chat.start(false);
    setInterval(tick, 250);
  }).catch(function (e) {
    var box = $('[data-config-error]');
    box.textContent = 'The kiosk cannot reach the shopping guide (' + e.message + '). Retrying in 10 s…';
    box.hidden = false;
    setTimeout(function () { window.location.reload(); }, 10000);
  });
})();
