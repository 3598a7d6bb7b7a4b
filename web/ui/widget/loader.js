// The loader: what the snippet's <script src="https://HOST/widget.js"> runs
// on every page view. It must stay small (budget: 5 KB gzipped, checked by
// web/ui_test.go). It reads the snippet's data-* attributes, asks the server
// what the widget may show (then holds a socket on which the server pushes
// changes, or, while it cannot, asks again every 4 s while the page is
// visible, so admin changes show within 5 s), shows the launcher button, and
// loads the chat UI (ui.js, at a content-hashed URL baked in at build time as
// __UI_FILE__) on the first interaction, when the browser is idle, or at once
// when this page resumes a chat. It installs window.Interact; calls made
// before the UI is loaded are queued.
//
// Everything lives in an open shadow root on an <interact-widget> element;
// styles are constructed stylesheets (adoptedStyleSheets), which a strict
// Content-Security-Policy allows without any style-src.

import css from './launcher.css';
import { pickLang, readStore, storeKey } from './shared.js';

/* global __UI_FILE__, __LABELS__ */

// LABELS are the launcher's texts per language (from texts.json, baked in
// at build time): [launcher, launcherOff, unreadMessages, launcherClosed].
const LABELS = __LABELS__;
const POLL_MS = 4000;
const MODES = ['chat', 'audio', 'video'];

(() => {
  const w = window;
  const d = document;
  const SYM = Symbol.for('interact.widget');
  if (w[SYM]) return; // the snippet is on the page twice
  const script = d.currentScript || d.querySelector('script[data-contact-id][src*="widget.js"]');
  if (!script) return;
  const ds = script.dataset;
  const lang = pickLang(ds.lang);
  const L = LABELS[lang];
  // The modalities this snippet offers (default all); the server's config
  // says which of them are switched on.
  const modalities = (ds.modalities || 'chat audio video').toLowerCase().split(/[\s,]+/);
  const handlers = {};
  let unread = 0;
  const queue = [];
  const ctx = {
    base: new URL('.', script.src).href, // ends with "/"; allows a path prefix
    contactId: ds.contactId || '',
    widgetKey: ds.widgetKey || '',
    lang,
    nonce: script.nonce || '',
    modalities, // what the snippet offers: chat, audio, video
    cfg: null, // the last config answer
    err: '', // the last config refusal code ("" when the config is fine)
    ui: null,
    active: false, // set by the UI while a chat is open
    onConfig: null, // set by the UI: called after every config answer
    refresh: null, // asks for the config now (the UI, after a refusal that may mean it changed)
    emit(ev, data) {
      for (const fn of (handlers[ev] || []).slice()) {
        try {
          fn(data);
        } catch (e) {
          console.error('interact: handler for ' + ev + ' failed', e);
        }
      }
    },
    badge(n) {
      unread = n;
      badge.textContent = n > 9 ? '9+' : String(n);
      badge.hidden = !n;
      setLabel();
    },
    attach(ui) {
      ctx.ui = ui;
      for (const [m, args] of queue.splice(0)) ui[m](...args);
    },
  };
  w[SYM] = ctx;
  const wanted = modalities.some((m) => MODES.includes(m));
  // on reports whether the config offers any modality the snippet wants.
  const on = () => !!(ctx.cfg && ctx.cfg.modalities && modalities.some((m) => ctx.cfg.modalities[m]));
  const key = storeKey(ctx.contactId);

  // The API. Calls before the UI is loaded wait in the queue.
  const api = { version: 1 };
  for (const m of ['open', 'close', 'toggle', 'setContext', 'identify']) {
    api[m] = (...args) => {
      if (ctx.ui) return ctx.ui[m](...args);
      queue.push([m, args]);
      if (m === 'open' || m === 'toggle') load();
    };
  }
  api.on = (ev, fn) => {
    (handlers[ev] = handlers[ev] || []).push(fn);
    return () => {
      handlers[ev] = handlers[ev].filter((f) => f !== fn);
    };
  };
  // A page may queue calls before the script loads: window.Interact = {q: [["open"]]}.
  // They run once everything below is set up.
  const early = w.Interact && Array.isArray(w.Interact.q) ? w.Interact.q : [];
  w.Interact = api;

  // The host element and its shadow root.
  const host = d.createElement('interact-widget');
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [sheet];
  if (ds.position === 'left') host.setAttribute('data-position', 'left');
  const color = ds.color || '';
  if (color && w.CSS && CSS.supports('color', color)) {
    host.style.setProperty('--ic', color);
    host.style.setProperty('--ict', textColor(color));
  }
  const btn = d.createElement('button');
  btn.type = 'button';
  btn.className = 'launcher';
  btn.hidden = true;
  btn.setAttribute('aria-haspopup', 'dialog');
  btn.setAttribute('aria-expanded', 'false');
  btn.append(chatIcon());
  const badge = d.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  btn.append(badge);
  root.append(btn);
  ctx.host = host;
  ctx.root = root;
  ctx.launcher = btn;
  btn.addEventListener('click', () => api.toggle());
  for (const ev of ['pointerenter', 'focus', 'touchstart']) btn.addEventListener(ev, load, { passive: true });

  function setLabel() {
    const ok = on() || ctx.active;
    // A service's overrides of these texts come with the config.
    const o = (ctx.cfg && ctx.cfg.widget && ctx.cfg.widget.texts && ctx.cfg.widget.texts[lang]) || {};
    const t = (i, k) => o[k] || L[i];
    // Out of hours the launcher offers leave-a-message.
    const closed = ok && !ctx.active && ctx.cfg.open === false;
    btn.setAttribute(
      'aria-label',
      (closed ? t(3, 'launcherClosed') : ok || !ctx.err ? t(0, 'launcher') : t(1, 'launcherOff')) + (unread ? ' (' + unread + ' ' + t(2, 'unreadMessages') + ')' : ''),
    );
  }

  // Loading the UI bundle.
  let loading = null;
  function load() {
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const s = d.createElement('script');
        s.src = ctx.base + 'widget/' + __UI_FILE__;
        s.async = true;
        if (ctx.nonce) s.nonce = ctx.nonce; // nonce-based CSPs
        s.onload = resolve;
        s.onerror = () => {
          loading = null;
          reject(new Error('interact: the chat UI could not be loaded'));
        };
        d.head.append(s);
      });
    }
    return loading;
  }

  // Polling the config.
  let timer = 0;
  let shown = false;
  let everOK = false;
  let fails = 0;
  async function poll() {
    clearTimeout(timer);
    if (sock && sock.readyState === 1) return; // the server pushes changes
    let wait = POLL_MS;
    if (d.visibilityState !== 'hidden') {
      try {
        const r = await fetch(
          ctx.base + 'widget/v1/config?contactId=' + encodeURIComponent(ctx.contactId) + '&widgetKey=' + encodeURIComponent(ctx.widgetKey),
          { credentials: 'omit', cache: 'no-cache' }, // revalidated: an unchanged config comes without a body
        );
        const body = await r.json().catch(() => ({}));
        fails = 0;
        if (r.ok) {
          ctx.cfg = body;
          ctx.err = '';
          if (!sock && !listenAt) listenAt = setTimeout(listen, everOK ? sockWait : 0);
          everOK = true;
        } else {
          const code = (body.error && body.error.code) || 'internal';
          if (code === 'rate_limited' || code === 'internal' || code === 'storage_unavailable') {
            wait = Math.max(wait, (+r.headers.get('Retry-After') || 0) * 1000);
            if (ctx.cfg) return schedule(wait); // keep what we know
          }
          ctx.cfg = null;
          ctx.err = code;
        }
      } catch {
        // A CORS refusal and a network failure look the same to a page:
        // before any success, assume a refusal; after one, a network fault
        // (keeping what we know for two more tries).
        fails++;
        if (navigator.onLine === false || (everOK && fails < 3)) return schedule(wait);
        ctx.cfg = null;
        ctx.err = everOK ? 'network' : 'origin_not_allowed';
      }
      update();
    }
    schedule(wait);
  }
  function schedule(wait) {
    timer = setTimeout(poll, wait);
  }
  ctx.refresh = poll;

  // Pushed config: once the config is good, the page holds a socket on
  // which the server sends it whenever it changes; while the socket is
  // closed the page polls (and learns why it was closed), then listens again.
  let sock = null;
  let listenAt = 0;
  let sockWait = 5000;
  function listen() {
    listenAt = 0;
    if (sock || !w.WebSocket) return;
    const q = 'widget/v1/config/ws?contactId=' + encodeURIComponent(ctx.contactId) + '&widgetKey=' + encodeURIComponent(ctx.widgetKey);
    try {
      sock = new WebSocket(ctx.base.replace(/^http/, 'ws') + q);
    } catch {
      return;
    }
    sock.onmessage = (ev) => {
      let f = {};
      try {
        f = JSON.parse(ev.data);
      } catch {}
      if (f.type !== 'config') return;
      clearTimeout(timer);
      sockWait = 5000;
      ctx.cfg = f.data;
      ctx.err = '';
      update();
    };
    sock.onclose = () => {
      sock = null;
      sockWait = Math.min(sockWait * 2, 60000);
      setTimeout(poll, Math.random() * 1000); // not every page at once
    };
  }

  let warned = false;
  function update() {
    if (ctx.err === 'origin_not_allowed' && !warned) {
      // Once per page: tell the page's developer why the chat is off here.
      warned = true;
      console.warn(
        'interact: chat is not available on ' + location.origin + ": the contact's Restrict Access does not allow this origin. " +
          "Add it to a domain template selected on the contact's Interact tab in the admin console.",
      );
    }
    const ok = on() || !!ctx.active;
    btn.classList.toggle('off', !ok);
    setLabel();
    if (!shown) {
      shown = true;
      btn.hidden = false;
      performance.mark('interact:launcher');
      ctx.emit('ready', { available: ok && modalities.some((m) => ctx.cfg.available[m]) });
      if (readStore(key)) load();
      else if (ok && ds.load !== 'interaction') idle(load);
    }
    if (ctx.onConfig) ctx.onConfig();
  }

  function start() {
    d.body.append(host);
    if (!wanted) return; // nothing this widget can show
    if (readStore(key)) load(); // resume the chat at once
    poll();
    d.addEventListener('visibilitychange', () => {
      if (d.visibilityState === 'visible') poll();
    });
  }
  if (d.body) start();
  else d.addEventListener('DOMContentLoaded', start);
  for (const call of early) {
    if (!Array.isArray(call) || typeof api[call[0]] !== 'function') continue;
    try {
      api[call[0]](...call.slice(1));
    } catch (e) {
      console.error('interact: queued call ' + call[0] + ' failed', e);
    }
  }
  w.dispatchEvent(new CustomEvent('interact:ready'));

  function idle(fn) {
    if (w.requestIdleCallback) requestIdleCallback(fn, { timeout: 5000 });
    else setTimeout(fn, 2000);
  }

  function chatIcon() {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = d.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const p = d.createElementNS(NS, 'path');
    p.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z');
    svg.append(p);
    return svg;
  }

  // textColor picks black or white text for a #rgb/#rrggbb theme colour.
  function textColor(c) {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c.trim());
    if (!m) return '#fff';
    let h = m[1];
    if (h.length === 3) h = h.replace(/./g, '$&$&');
    const [r, g, b] = [0, 2, 4].map((i) => {
      const v = parseInt(h.slice(i, i + 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? '#111' : '#fff';
  }
})();
