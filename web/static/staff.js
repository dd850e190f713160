/*
 * The staff console (/staff): shoppers who asked the assistant for a person, oldest first (this
 * store's first), and the conversations staff have taken. Behind the staff PIN: unlocking trades
 * it for a sign-in token (kept in memory only, never in localStorage, sent as Authorization:
 * Bearer); when the server answers 401 (the sign-in expired) the page asks for the PIN again.
 * Polls the server every 2 s; lists are redrawn only when they change, so focus stays where it
 * is. Everything is put in the page as text, never as HTML.
 */
(function () {
  'use strict';
  var POLL_MS = 2000;
  var NAME_KEY = 'shopguide.staff.name';
  var EXPIRED = 'Your sign-in expired — enter the PIN again';
  var $ = function (sel) { return document.querySelector(sel); };
  var body = document.body;

  var token = null;         // the staff sign-in (memory only)
  var staffName = '';
  var selected = null;      // sender id of the open conversation
  var detail = null;        // its last detail answer
  var timer = null;
  var signatures = {};      // what each list showed last
  var threadShown = 0;      // thread lines drawn for `selected`
  var stores = [];

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

  function api(method, path, data) {
    var opts = { method: method, headers: { Authorization: 'Bearer ' + (token || '') }, cache: 'no-store' };
    if (data) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(data);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (r.status === 401 && token) { lock(EXPIRED); $('[data-pin]').focus(); }
        if (!r.ok) {
          var err = new Error(d.error || ('HTTP ' + r.status));
          err.status = r.status;
          throw err;
        }
        return d;
      });
    });
  }

  function ago(seconds) {
    var s = Math.max(0, Math.round(seconds || 0));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }

  function clock(ts) {
    if (!ts) return '';
    var d = new Date(ts * 1000);
    return ('0' + d.getHours()).slice(-2) + ':' + ('0' + d.getMinutes()).slice(-2);
  }

  function where(h) {
    // the kiosk is the page that says which store a shopper is in
    if (h.store) return h.store + (h.channel === 'socketio' ? ' kiosk' : '');
    if (h.channel === 'socketio') return 'Web chat';
    return h.channel ? h.channel.charAt(0).toUpperCase() + h.channel.slice(1) : 'Chat';
  }

  // ------------------------------------------------------------------ sign in
  function lock(message) {
    token = null;
    selected = null;
    clearInterval(timer);
    timer = null;
    signatures = {};
    body.dataset.state = 'locked';
    $('[data-console]').hidden = true;
    $('[data-unlock]').hidden = false;
    $('[data-lock]').hidden = true;
    $('[data-who]').textContent = '';
    $('[data-unlock-error]').textContent = message || '';
    $('[data-pin]').value = '';
  }

  $('[data-unlock-form]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var name = $('[data-name]').value.trim();
    var given = $('[data-pin]').value;
    if (!name) { $('[data-unlock-error]').textContent = 'Type your name: the shopper sees it.'; $('[data-name]').focus(); return; }
    fetch('/web/api/staff/unlock', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ pin: given }) })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (!res.ok || !res.data.token) { $('[data-unlock-error]').textContent = res.data.error || 'Wrong PIN'; $('[data-pin]').focus(); return; }
        token = res.data.token;
        $('[data-pin]').value = '';
        staffName = name;
        try { localStorage.setItem(NAME_KEY, name); } catch (e) { /* private mode */ }
        body.dataset.state = 'unlocked';
        $('[data-unlock]').hidden = true;
        $('[data-console]').hidden = false;
        $('[data-lock]').hidden = false;
        $('[data-who]').textContent = 'Signed in as ' + name;
        $('[data-unlock-error]').textContent = '';
        $('#queue-title').focus();
        refresh();
        timer = setInterval(refresh, POLL_MS);
      })
      .catch(function (e) { $('[data-unlock-error]').textContent = 'Could not check the PIN: ' + e.message; });
  });

  $('[data-lock]').addEventListener('click', function () { lock(''); $('[data-name]').focus(); });

  // ------------------------------------------------------------------ the lists
  function storeParam() { return $('[data-store-filter]').value; }

  function renderList(list, items, kind) {
    var sig = JSON.stringify(items.map(function (h) {
      return [h.sender, h.status, h.staff, h.position, Math.floor((h.waited_s || 0) / 60), h.preview, selected === h.sender];
    }));
    if (signatures[kind] === sig) return;
    signatures[kind] = sig;
    list.textContent = '';
    if (!items.length) {
      list.append(el('li', { class: 'empty', text: kind === 'waiting' ? 'Nobody is waiting.' : 'Nobody is talking to staff.' }));
      return;
    }
    items.forEach(function (h) {
      var label = where(h);
      var info = kind === 'waiting'
        ? '#' + h.position + ' · waiting ' + ago(h.waited_s)
        : 'with ' + (h.staff || 'staff') + ' since ' + clock(h.taken_at);
      var li = el('li', { class: 'handoff' + (selected === h.sender ? ' selected' : ''), dataset: { sender: h.sender, status: h.status, storeId: h.store_id || '' } },
        el('p', { class: 'handoff-where' }, el('strong', { text: label }), ' · ' + info),
        h.preview ? el('p', { class: 'handoff-preview', text: '“' + h.preview + '”' }) : null);
      var open = el('button', {
        type: 'button', class: 'btn-quiet', text: 'Open', 'aria-label': 'Open the conversation of the shopper at ' + label + ', ' + info,
        'aria-current': selected === h.sender ? 'true' : null,
        onclick: function () { select(h.sender, false); },
      });
      var actions = el('div', { class: 'handoff-actions' }, open);
      if (kind === 'waiting') {
        actions.append(el('button', {
          type: 'button', class: 'btn-primary', text: 'Take', dataset: { take: h.sender },
          'aria-label': 'Take the shopper at ' + label + ', ' + info,
          onclick: function () { take(h.sender); },
        }));
      }
      li.append(actions);
      list.append(li);
    });
  }

  function refresh() {
    if (!token) return Promise.resolve();
    var q = storeParam();
    var lists = api('GET', '/web/api/staff/handoffs' + (q ? '?store=' + encodeURIComponent(q) : '')).then(function (data) {
      renderList($('[data-waiting]'), data.waiting, 'waiting');
      renderList($('[data-taken]'), data.taken, 'taken');
      var n = data.waiting.length;
      $('[data-queue-status]').textContent = n === 0 ? 'Nobody is waiting.' : n + (n === 1 ? ' shopper is' : ' shoppers are') + ' waiting.';
    }).catch(function (e) {
      if (token) $('[data-queue-status]').textContent = 'Could not load the queue: ' + e.message;
    });
    var resv = api('GET', '/web/api/staff/reservations' + (q ? '?store=' + encodeURIComponent(q) : '')).then(function (data) {
      renderReservations(data.reservations || []);
    }).catch(function (e) {
      if (token) $('[data-resv-status]').textContent = 'Could not load the reservations: ' + e.message;
    });
    return Promise.all([lists, resv, loadDetail()]);
  }

  function renderReservations(items) {
    var sig = JSON.stringify(items.map(function (r) { return r.code; }));
    $('[data-resv-status]').textContent = items.length ? items.length + ' held for pickup.' : 'No pickup reservations are held.';
    if (signatures.resv === sig) return;
    signatures.resv = sig;
    var list = $('[data-resv]');
    list.textContent = '';
    items.forEach(function (r) {
      var what = r.quantity + ' x ' + r.name + (r.variant ? ' (' + r.variant + ')' : '');
      var li = el('li', { class: 'handoff', dataset: { code: r.code } },
        el('p', { class: 'handoff-where' }, el('strong', { text: r.code }), ' · ' + (r.store_name || r.store_id) + ' · until ' + clock(r.deadline)),
        el('p', { class: 'handoff-preview', text: what }));
      li.append(el('div', { class: 'handoff-actions' }, el('button', {
        type: 'button', class: 'btn-quiet', text: 'Collected', 'aria-label': 'Mark ' + r.code + ' (' + what + ') as collected',
        onclick: function () {
          api('POST', '/web/api/staff/reservations/' + encodeURIComponent(r.code) + '/collect').then(refresh)
            .catch(function (e) { $('[data-resv-status]').textContent = 'Could not mark it collected: ' + e.message; });
        }
      })));
      list.append(li);
    });
  }

  // ------------------------------------------------------------------ one conversation
  function select(sender, focusReply) {
    if (selected !== sender) {
      selected = sender;
      detail = null;
      threadShown = 0;
      $('[data-thread]').textContent = '';
      $('[data-before]').textContent = '';
      $('[data-convo-error]').textContent = '';
      signatures = {};
    }
    $('[data-convo]').hidden = false;
    return refresh().then(function () {
      if (focusReply && !$('[data-reply-form]').hidden) $('[data-reply-text]').focus();
      else $('#convo-title').focus();
    });
  }

  function fact(dl, term, value) {
    if (!value) return;
    dl.append(el('dt', { text: term }), el('dd', { text: value }));
  }

  function lineNode(line) {
    var who = line.from === 'staff' ? (line.staff || 'Staff') : line.from === 'shopper' ? 'Shopper' : 'Assistant';
    return el('div', { class: 'line from-' + (line.from || 'bot'), dataset: { from: line.from || 'bot', event: line.event || '' } },
      el('p', { class: 'line-who' }, el('strong', { text: who }), ' ', el('span', { class: 'line-at', text: clock(line.at) })),
      el('p', { class: 'line-text', text: line.text || '' }));
  }

  function summary(m) {
    var text = m.text || '';
    var cards = (m.custom && Array.isArray(m.custom.cards)) ? m.custom.cards : [];
    if (cards.length) text += (text ? ' ' : '') + '[' + cards.map(function (c) { return c.name; }).join('; ') + ']';
    return text;
  }

  function renderDetail(d) {
    var st = d.state;
    var mine = st && st.status === 'taken' && st.staff === staffName;
    $('[data-convo-title]').textContent = st ? 'Shopper at ' + where(st) : 'Conversation (handed back to the assistant)';
    var dl = $('[data-facts]');
    dl.textContent = '';
    if (st) {
      fact(dl, 'Status', st.status === 'waiting' ? 'Waiting (#' + st.position + ' in the queue, ' + ago(st.waited_s) + ')' : 'With ' + st.staff);
      fact(dl, 'Store', st.store);
      fact(dl, 'Channel', st.channel);
      fact(dl, 'Asked at', clock(st.requested_at));
    } else {
      fact(dl, 'Status', 'Back with the assistant');
    }
    fact(dl, 'Conversation id', d.sender.slice(0, 12) + (d.sender.length > 12 ? '…' : ''));
    $('[data-convo-take]').hidden = !(st && st.status === 'waiting');
    $('[data-convo-release]').hidden = !st;
    $('[data-reply-form]').hidden = !mine;
    body.dataset.convoStatus = st ? (mine ? 'mine' : st.status) : 'released';
    if (st && st.status === 'taken' && !mine) $('[data-convo-error]').textContent = st.staff + ' is talking to this shopper.';

    var looking = (st && st.looking_at) || [];
    $('[data-looking-box]').hidden = !looking.length;
    var ul = $('[data-looking]');
    ul.textContent = '';
    looking.forEach(function (p) {
      var name = p.name || p.title || p.id || 'a product';
      var extra = [p.brand, p.price_text || (p.price !== undefined && p.price !== null ? String(p.price) : ''), p.id && p.id !== name ? p.id : ''].filter(Boolean).join(' · ');
      ul.append(el('li', null, el('strong', { text: name }), extra ? ' · ' + extra : ''));
    });

    var before = $('[data-before]');
    var sig = JSON.stringify(d.conversation.map(function (m) { return [m.sender, m.timestamp]; }));
    if (before.dataset.sig !== sig) {
      before.dataset.sig = sig;
      before.textContent = '';
      if (d.conversation_error) before.append(el('li', { text: d.conversation_error }));
      if (!d.conversation.length && st && st.last_messages && st.last_messages.length) {
        st.last_messages.forEach(function (t) { before.append(el('li', { class: 'from-user' }, el('strong', { text: 'Shopper: ' }), t)); });
      }
      d.conversation.forEach(function (m) {
        before.append(el('li', { class: m.sender === 'user' ? 'from-user' : 'from-bot' },
          el('strong', { text: m.sender === 'user' ? 'Shopper: ' : 'Assistant: ' }), summary(m)));
      });
    }

    var thread = $('[data-thread]');
    if (d.thread.length < threadShown) { thread.textContent = ''; threadShown = 0; }
    d.thread.slice(threadShown).forEach(function (line) { thread.append(lineNode(line)); });
    if (d.thread.length > threadShown) thread.scrollTop = thread.scrollHeight;
    threadShown = d.thread.length;
    if (!d.thread.length && !thread.childNodes.length) thread.append(el('p', { class: 'empty', text: 'Nothing said to staff yet.' }));
    else if (thread.querySelector('.empty') && d.thread.length) thread.querySelector('.empty').remove();
  }

  function loadDetail() {
    if (!selected || !token) return Promise.resolve();
    var sender = selected;
    return api('GET', '/web/api/staff/handoffs/' + encodeURIComponent(sender)).then(function (d) {
      if (sender !== selected) return;
      detail = d;
      renderDetail(d);
    }).catch(function (e) {
      if (sender !== selected) return;
      if (e.status === 404) {
        $('[data-convo-error]').textContent = 'This conversation is no longer waiting.';
        $('[data-reply-form]').hidden = true;
        $('[data-convo-take]').hidden = true;
        $('[data-convo-release]').hidden = true;
      } else if (token) {
        $('[data-convo-error]').textContent = 'Could not load the conversation: ' + e.message;
      }
    });
  }

  function take(sender) {
    $('[data-convo-error]').textContent = '';
    return api('POST', '/web/api/staff/handoffs/' + encodeURIComponent(sender) + '/take', { staff: staffName })
      .then(function () { signatures = {}; return select(sender, true); })
      .catch(function (e) {
        select(sender, false).then(function () {
          $('[data-convo-error]').textContent = e.status === 409 ? e.message : 'Could not take this shopper: ' + e.message;
        });
      });
  }

  $('[data-convo-take]').addEventListener('click', function () { if (selected) take(selected); });

  $('[data-convo-release]').addEventListener('click', function () {
    if (!selected) return;
    var sender = selected;
    api('POST', '/web/api/staff/handoffs/' + encodeURIComponent(sender) + '/release', { staff: staffName })
      .then(function () { signatures = {}; return refresh(); })
      .then(function () { $('#queue-title').focus(); })
      .catch(function (e) { $('[data-convo-error]').textContent = 'Could not hand back: ' + e.message; });
  });

  $('[data-reply-form]').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var box = $('[data-reply-text]');
    var text = box.value.trim();
    if (!text || !selected) return;
    var send = $('[data-reply-send]');
    send.disabled = true;
    api('POST', '/web/api/staff/handoffs/' + encodeURIComponent(selected) + '/reply', { staff: staffName, text: text })
      .then(function (res) {
        box.value = '';
        $('[data-convo-error]').textContent = res.delivered === 'outbox' ? 'Sent: the shopper sees it with their next message.' : '';
        return loadDetail();
      })
      .catch(function (e) { $('[data-convo-error]').textContent = 'Not sent: ' + e.message; })
      .then(function () { send.disabled = false; box.focus(); });
  });

  $('[data-reply-text]').addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && !ev.shiftKey) {  // Enter sends, Shift+Enter is a new line
      ev.preventDefault();
      $('[data-reply-form]').requestSubmit();
    }
  });

  $('[data-store-filter]').addEventListener('change', function () {
    signatures = {};
    var q = storeParam();
    var params = new URLSearchParams(window.location.search);
    if (q) params.set('store', q); else params.delete('store');
    var rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (rest ? '?' + rest : ''));
    refresh();
  });

  // ------------------------------------------------------------------ start
  try { $('[data-name]').value = localStorage.getItem(NAME_KEY) || ''; } catch (e) { /* private mode */ }
  fetch('/web/api/config', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (cfg) {
    stores = cfg.stores || [];
    var select_ = $('[data-store-filter]');
    stores.forEach(function (s) { select_.append(el('option', { value: s.id, text: s.name })); });
    var wanted = new URLSearchParams(window.location.search).get('store');
    if (wanted && stores.some(function (s) { return s.id === wanted; })) select_.value = wanted;
    if (!cfg.staff_enabled) $('[data-unlock-error]').textContent = 'Staff mode is off on this server (set SHOPGUIDE_KIOSK_STAFF_PIN).';
  }).catch(function () { /* the filter stays at All stores */ });
  window.staffConsole = { refresh: refresh, get selected() { return selected; }, get detail() { return detail; } };
})();
