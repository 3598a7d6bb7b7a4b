// The agent console (served at /agent): sign-in, presence, per-service
// active toggles, offers, concurrent chats, transfer, ACW, RONA, My
// Sessions and the supervisor's queue view, over the agent protocol
// (docs/protocol.md §3). Visitor-supplied text is only ever set as
// textContent (see dom.js).
import css from './console.css';
import {h, fill, clock, timeOf, newClientId} from './dom.js';
import {AgentSocket} from './socket.js';
import {createCall} from './call.js';
import {texts as T, states, outcomes, taskOutcomes, languages, language, setLanguage} from './texts.js';
import {labelEditor, labelText} from './labels.js';
import {ratingEl} from './rating.js';
import {visitsSection} from './visits.js';

const S = {
  me: null, csrf: '', agent: null, services: [], supervised: [],
  offers: new Map(), chats: new Map(), order: [], active: '',
  outbox: new Map(), view: 'chats', queues: new Map(), watched: new Set(),
  sock: null, up: false, ronaUntil: 0, beeps: 0,
  claiming: new Set(), sessionsCursor: '',
};
const E = {}; // the shell's elements

// ---------------------------------------------------------------- helpers

async function api(method, path, body) {
  const headers = {};
  if (body) headers['Content-Type'] = 'application/json';
  if (S.csrf && method !== 'GET') headers['X-CSRF-Token'] = S.csrf;
  const r = await fetch(path, {method, headers, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin'});
  if (r.status === 204) return null;
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw (j.error || {code: 'http_' + r.status, message: T.requestFailed + ' (' + r.status + ')'});
  return j;
}

function toast(msg) {
  const el = h('div', {class: 'toast', role: 'status', text: msg});
  E.toasts.append(el);
  setTimeout(() => el.remove(), 6000);
}

const fail = e => toast((e && e.message) || T.somethingWrong);

function serviceName(id, fallback) {
  const s = S.services.find(x => x.id === id) || S.supervised.find(x => x.id === id);
  return (s && s.name) || fallback || '';
}

// ---------------------------------------------------------------- sign-in

function signIn(msg) {
  const err = h('p', {class: 'error', role: 'alert', text: msg || ''});
  const email = h('input', {type: 'email', name: 'email', autocomplete: 'username', required: true, id: 'si-email'});
  const pw = h('input', {type: 'password', name: 'password', autocomplete: 'current-password', required: true, id: 'si-password'});
  const btn = h('button', {type: 'submit', class: 'primary', text: T.signIn});
  // When the address and password fit users of several organisations
  // (tenant_required), the answer lists them and the next try names one.
  const tenants = h('fieldset', {class: 'tenant-choice', id: 'si-tenants', hidden: true});
  const chosen = () => (tenants.querySelector('input[name="tenantId"]:checked') || {}).value || '';
  const choose = list => {
    fill(tenants, h('legend', {text: T.organisation}), list.map((t, i) => h('div', {class: 'tenant'},
      h('input', {type: 'radio', name: 'tenantId', id: 'si-tenant-' + i, value: t.id, required: true}),
      h('label', {for: 'si-tenant-' + i, text: t.name}))));
    tenants.hidden = false;
  };
  email.addEventListener('input', () => { tenants.hidden = true; fill(tenants); });
  const form = h('form', {class: 'signin', 'aria-labelledby': 'si-title', onsubmit: async e => {
    e.preventDefault();
    btn.disabled = true;
    btn.textContent = T.signingIn;
    err.textContent = '';
    const body = {email: email.value, password: pw.value};
    if (chosen()) body.tenantId = chosen();
    try {
      start(await api('POST', '/api/v1/session', body));
    } catch (x) {
      btn.disabled = false;
      btn.textContent = T.signIn;
      if (x.code === 'tenant_required' && Array.isArray(x.tenants) && x.tenants.length) {
        choose(x.tenants);
        err.textContent = T.chooseOrganisation;
        tenants.querySelector('input').focus();
        return;
      }
      err.textContent = x.message || T.signInFailed;
      pw.focus();
    }
  }},
  h('h1', {id: 'si-title', text: T.signInTitle}),
  h('label', {for: 'si-email', text: T.email}), email,
  h('label', {for: 'si-password', text: T.password}), pw,
  tenants, btn, err,
  h('a', {class: 'forgot', id: 'si-forgot', href: '/password/forgot', text: T.forgotPassword}));
  fill(document.body, h('main', {class: 'signin-page'}, form));
  email.focus();
}

// ---------------------------------------------------------------- shell

function start(session) {
  S.me = session.user;
  S.csrf = session.csrfToken || '';
  const roles = (S.me.roles || []).map(r => r.role);
  const supervisor = roles.some(r => r === 'tenantAdmin' || r === 'ouAdmin' || r === 'serviceOwner');
  document.title = 'interact · ' + T.title;
  document.documentElement.lang = language();

  const navBtn = (view, label, key) => h('button', {type: 'button', class: 'nav', 'data-view': view,
    'aria-keyshortcuts': 'Alt+' + key, onclick: () => show(view)}, label);
  E.chatCount = h('span', {class: 'count', hidden: true});
  E.nav = h('nav', {'aria-label': 'Views'},
    navBtn('chats', [T.viewChats, ' ', E.chatCount], 1), navBtn('sessions', T.viewSessions, 2),
    supervisor ? navBtn('supervisor', T.viewSupervisor, 3) : null);
  E.conn = h('span', {class: 'conn down', role: 'status', text: T.reconnecting});
  const header = h('header', {class: 'top'},
    h('span', {class: 'brand', text: 'interact'}), E.nav, h('span', {class: 'spacer'}), E.conn,
    h('span', {class: 'who', text: S.me.name || S.me.email}),
    h('button', {type: 'button', class: 'link', text: T.signOut, onclick: signOut}));

  E.banners = h('div', {class: 'banners'});
  E.lost = h('div', {class: 'banner lost', role: 'alert', hidden: true, text: T.connectionLost});
  E.rona = h('div', {class: 'banner rona', role: 'alert', hidden: true});
  E.acw = h('div', {class: 'banner acw', role: 'status', hidden: true});
  E.banners.append(E.lost, E.rona, E.acw);

  E.stateBadge = h('span', {class: 'state'});
  E.presence = h('select', {id: 'presence', onchange: () => setPresence()},
    ['available', 'busy', 'away', 'offline'].map(p => h('option', {value: p, text: T[p]})));
  E.reason = h('input', {id: 'reason', list: 'reasons', maxlength: 100, placeholder: T.reasonHint,
    onchange: () => setPresence(), onkeydown: e => { if (e.key === 'Enter') setPresence(); }});
  const reasons = h('datalist', {id: 'reasons'}, T.reasons.map(r => h('option', {value: r})));
  E.servicesList = h('ul', {class: 'services'});
  E.lang = h('select', {id: 'lang', onchange: () => { setLanguage(E.lang.value); location.reload(); }},
    languages.map(([code, name]) => h('option', {value: code, text: name, selected: code === language()})));
  const side = h('aside', {class: 'side', 'aria-label': T.status},
    h('h2', {text: T.status}), E.stateBadge,
    h('label', {for: 'presence', text: T.presence}), E.presence,
    h('label', {for: 'reason', text: T.reason}), E.reason, reasons,
    h('h2', {text: T.myServices}), E.servicesList,
    h('label', {for: 'lang', text: T.language}), E.lang,
    h('p', {class: 'hint', text: T.shortcuts}));

  E.offers = h('section', {class: 'offers', 'aria-label': T.incomingChat, 'aria-live': 'assertive'});
  E.tabs = h('div', {class: 'tabs', role: 'tablist', 'aria-label': T.viewChats, onkeydown: tabKeys});
  E.panels = h('div', {class: 'panels'});
  E.noChats = h('p', {class: 'empty', text: T.noChats});
  E.pickup = h('section', {class: 'pickup', 'aria-labelledby': 'pickup-h', hidden: true});
  E.views = {
    chats: h('section', {class: 'view', id: 'view-chats', 'aria-label': T.viewChats}, E.pickup, E.tabs, E.noChats, E.panels),
    sessions: h('section', {class: 'view', id: 'view-sessions', 'aria-label': T.viewSessions, hidden: true}),
    supervisor: h('section', {class: 'view', id: 'view-supervisor', 'aria-label': T.viewSupervisor, hidden: true}),
  };
  E.toasts = h('div', {class: 'toasts'});
  E.dialog = h('dialog', {class: 'transfer', 'aria-labelledby': 'tr-title'});
  // The page's level-one heading, for screen readers (the header shows the brand).
  const main = h('main', {class: 'main'}, h('h1', {class: 'sr', text: T.title}), E.offers, Object.values(E.views));
  fill(document.body, header, E.banners, h('div', {class: 'body'}, side, main), E.toasts, E.dialog);

  document.addEventListener('keydown', shortcuts);
  const gesture = () => {
    ensureAudio();
    askNotify();
  };
  document.addEventListener('pointerdown', gesture);
  document.addEventListener('keydown', gesture);
  document.addEventListener('visibilitychange', () => markRead(S.active));
  window.addEventListener('focus', () => markRead(S.active));
  setInterval(tick, 250);
  show('chats');
  if (supervisor) loadSupervised();
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/agent/v1/ws';
  S.sock = new AgentSocket(url, {onFrame: frame, onUp: () => {}, onDown: down});
}

async function signOut() {
  if (S.sock) S.sock.stop();
  try { await api('DELETE', '/api/v1/session'); } catch { /* signed out anyway */ }
  location.reload();
}

function show(view) {
  if (!E.views[view]) return;
  S.view = view;
  for (const [k, el] of Object.entries(E.views)) el.hidden = k !== view;
  for (const b of E.nav.querySelectorAll('button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  if (view === 'sessions') loadSessions();
  if (view === 'supervisor') {
    renderSupervisor();
    loadRecent();
  }
  if (view === 'chats' && S.active) activate(S.active);
}

function shortcuts(e) {
  if (!e.altKey || e.ctrlKey || e.metaKey) return;
  // By physical key where known (Alt+A types "å" on some layouts).
  const code = e.code || '';
  const k = code.startsWith('Key') ? code.slice(3).toLowerCase() : code.startsWith('Digit') ? code.slice(5) : e.key.toLowerCase();
  const first = S.offers.values().next().value;
  if (k === 'a' && first) accept(first.offer.offerId);
  else if (k === 'd' && first) decline(first.offer.offerId);
  else if (k === 'p') pickFirst();
  else if (k === '1') show('chats');
  else if (k === '2') show('sessions');
  else if (k === '3') show('supervisor');
  else if (e.key === 'PageDown' || e.key === 'PageUp') stepTab(e.key === 'PageDown' ? 1 : -1, true);
  else return;
  e.preventDefault();
}

// ---------------------------------------------------------------- socket frames

function down() {
  S.up = false;
  E.conn.className = 'conn down';
  E.conn.textContent = T.reconnecting;
  E.lost.hidden = false;
  // Offers end when the connection does; the server re-offers elsewhere.
  for (const id of [...S.offers.keys()]) dropOffer(id);
}

function frame(f) {
  const d = f.data || {};
  switch (f.type) {
  case 'hello': return hello(d);
  case 'agent.state': return agentState(d);
  case 'offer': return addOffer(d);
  case 'offer.ended': return offerEnded(d);
  case 'task.assigned': return assigned(d.task, d.offerId);
  case 'task.released': return released(d);
  case 'task.ended': return ended(d.taskId, d.outcome);
  case 'rona': S.ronaUntil = Date.parse(d.until) || 0; return renderRona();
  case 'message': return message(d);
  case 'typing': return typing(d);
  case 'read': return read(d);
  case 'task.state': if (d.state === 'ended' && d.taskId) ended(d.taskId, d.outcome); return;
  case 'call.state': return callState(d.taskId, d.call);
  case 'rtc.offer': case 'rtc.ice': case 'call.media': {
    const c = S.chats.get(d.taskId);
    if (c && !c.done) c.call.frame(f);
    return;
  }
  case 'queue.changed': return queueChanged();
  case 'services.changed': return loadServices(); // an admin changed the agent's memberships
  case 'error': return fail(d);
  }
}

function hello(d) {
  S.up = true;
  E.conn.className = 'conn up';
  E.conn.textContent = T.connected;
  E.lost.hidden = true;
  agentState(d.agent);
  const live = new Set();
  for (const {task, call} of d.tasks || []) {
    live.add(task.id);
    const c = chatFor(task);
    history(c);
    callState(task.id, call || '', true);
  }
  for (const c of S.chats.values()) {
    if (!c.done && !live.has(c.id)) finish(c, T.chatDropped);
  }
  // Resend what was typed but not acknowledged: same clientId, stored once.
  for (const id of S.outbox.keys()) flush(id);
  for (const id of S.watched) watch(id);
  loadServices(); // on every hello: memberships may have changed while disconnected
  refreshSessions();
}

function agentState(a) {
  if (!a) return;
  if (S.me && a.id !== S.me.id) return supervisedAgent(a);
  S.agent = a;
  E.stateBadge.textContent = states[a.state] || a.state;
  E.stateBadge.className = 'state s-' + a.state;
  if (document.activeElement !== E.presence) E.presence.value = a.presence;
  if (document.activeElement !== E.reason) E.reason.value = a.reason || '';
  E.reason.disabled = a.presence === 'available';
  S.ronaUntil = a.ronaUntil ? Date.parse(a.ronaUntil) : 0;
  renderRona();
  renderACW();
  supervisedAgent(a);
}

function setPresence() {
  const presence = E.presence.value;
  const reason = presence === 'available' ? '' : E.reason.value.trim();
  E.reason.disabled = presence === 'available';
  S.sock.request('presence.set', {presence, reason}).catch(fail);
}

// ---------------------------------------------------------------- services

// loadServices (re)loads the agent's services: after each hello and when
// the server says they changed. The pick-up list follows them.
let servicesLoads = 0;
async function loadServices() {
  const n = ++servicesLoads;
  let list;
  try {
    list = await api('GET', '/api/v1/me/services');
  } catch (e) {
    if (n === servicesLoads) fail(e);
    return;
  }
  if (n !== servicesLoads) return; // a later load answers
  const before = pickupServices().map(s => s.id);
  S.services = list;
  renderServices();
  const now = new Set(pickupServices().map(s => s.id));
  for (const id of before) {
    if (now.has(id) || S.supervised.some(x => x.id === id)) continue;
    S.watched.delete(id);
    S.queues.delete(id);
    if (S.up) S.sock.quiet('queue.unwatch', {serviceId: id});
  }
  for (const id of now) {
    if (S.watched.has(id)) continue; // watched already (hello watches them again)
    S.watched.add(id);
    if (S.up) watch(id);
  }
  renderPickup();
}

const pickupServices = () => S.services.filter(s => s.distribution === 'pickup');

function renderServices() {
  const focused = E.servicesList.contains(document.activeElement) ? document.activeElement.id : '';
  fill(E.servicesList, S.services.length ? S.services.map(s => {
    const box = h('input', {type: 'checkbox', id: 'svc-' + s.id, checked: s.active, onchange: async () => {
      box.disabled = true;
      try {
        await S.sock.request('service.active', {serviceId: s.id, active: box.checked});
        s.active = box.checked;
      } catch (e) {
        box.checked = s.active;
        fail(e);
      }
      box.disabled = false;
    }});
    return h('li', null, box, h('label', {for: 'svc-' + s.id}, s.name, h('span', {class: 'sr', text: ' (' + T.activeIn + ')'})));
  }) : h('li', {class: 'hint', text: T.noServices}));
  const again = focused && document.getElementById(focused);
  if (again) again.focus();
}

// ---------------------------------------------------------------- offers

let audio = null;
function ensureAudio() {
  const C = window.AudioContext || window.webkitAudioContext;
  if (!audio && C) audio = new C();
  if (audio && audio.state === 'suspended') audio.resume().catch(() => {});
}

// beep plays a two-tone chime with WebAudio (no asset needed).
function beep() {
  S.beeps++;
  document.body.dataset.beeps = String(S.beeps);
  if (!audio || audio.state !== 'running') return;
  const t = audio.currentTime;
  for (const [at, hz] of [[0, 880], [0.2, 1175]]) {
    const o = audio.createOscillator(), g = audio.createGain();
    o.frequency.value = hz;
    g.gain.setValueAtTime(0.0001, t + at);
    g.gain.exponentialRampToValueAtTime(0.25, t + at + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, t + at + 0.18);
    o.connect(g).connect(audio.destination);
    o.start(t + at);
    o.stop(t + at + 0.2);
  }
}

// askNotify asks for the desktop notification permission, once ever.
function askNotify() {
  if (!('Notification' in window) || Notification.permission !== 'default') return;
  try {
    if (localStorage.getItem('interact.notify.asked')) return;
    localStorage.setItem('interact.notify.asked', '1');
  } catch { /* storage off: ask anyway */ }
  Notification.requestPermission().catch(() => {});
}

function notify(title, body, tag) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  if (!document.hidden && document.hasFocus()) return;
  try {
    const n = new Notification(title, {body, tag});
    n.addEventListener('click', () => { window.focus(); n.close(); });
  } catch { /* some browsers allow notifications only from service workers */ }
}

function addOffer(o) {
  if (o.task && S.claiming.has(o.task.id)) return; // our own pick-up: no card, no ring
  const now = Date.now();
  let deadline = Date.parse(o.expiresAt);
  const ring = (o.ringSeconds || 30) * 1000;
  // The server's clock rules; fall back to the ring time when the clocks disagree.
  if (!(deadline > now) || deadline - now > ring + 2000) deadline = now + ring;
  const t = o.task || {};
  const v = t.visitor || {};
  const call = t.modality && t.modality !== 'chat';
  const kind = t.modality === 'video' ? T.incomingVideo : t.modality === 'audio' ? T.incomingAudio : T.incomingChat;
  const first = h('p', {class: 'first', hidden: true});
  const count = h('span', {class: 'countdown'});
  const bar = h('progress', {max: ring, value: deadline - now, 'aria-label': T.ringsFor});
  const acc = h('button', {type: 'button', class: 'primary accept', 'aria-keyshortcuts': 'Alt+A', onclick: () => accept(o.offerId)}, T.accept);
  const dec = h('button', {type: 'button', class: 'danger decline', 'aria-keyshortcuts': 'Alt+D', onclick: () => decline(o.offerId)}, T.decline);
  const el = h('div', {class: call ? 'offer call' : 'offer', role: 'group', 'aria-label': kind + ': ' + (v.name || T.anonymous),
    'data-offer': o.offerId, 'data-modality': t.modality || 'chat'},
    h('div', {class: 'offer-head'}, h('strong', {text: kind}),
      h('span', {class: 'svc', text: t.serviceName || serviceName(t.serviceId)}), count),
    h('div', {class: 'visitor-name', text: v.name || T.anonymous}),
    first, bar, h('div', {class: 'actions'}, acc, dec));
  S.offers.set(o.offerId, {offer: o, deadline, ring, el, count, bar});
  E.offers.append(el);
  tickOffers();
  beep();
  notify((call ? kind : T.notifyTitle) + ' — ' + (t.serviceName || ''), v.name || T.anonymous, o.offerId);
  api('GET', '/api/v1/me/tasks/' + encodeURIComponent(t.id) + '/preview').then(p => {
    if (p && p.firstMessage) {
      first.textContent = p.firstMessage;
      first.hidden = false;
    }
  }).catch(() => {});
}

function dropOffer(id) {
  const x = S.offers.get(id);
  if (!x) return;
  x.el.remove();
  S.offers.delete(id);
}

function offerEnded(d) {
  dropOffer(d.offerId);
  refreshSessions();
}

async function accept(id) {
  const x = S.offers.get(id);
  if (!x) return;
  x.el.querySelectorAll('button').forEach(b => { b.disabled = true; });
  try {
    const r = await S.sock.request('offer.accept', {offerId: id});
    dropOffer(id);
    assigned(Object.assign({}, x.offer.task, r.task || {}, {serviceName: x.offer.task.serviceName}), id);
  } catch (e) {
    dropOffer(id);
    fail(e);
  }
}

async function decline(id) {
  const x = S.offers.get(id);
  if (!x) return;
  x.el.querySelectorAll('button').forEach(b => { b.disabled = true; });
  try {
    await S.sock.request('offer.decline', {offerId: id});
  } catch (e) {
    fail(e);
  }
  dropOffer(id);
  refreshSessions();
}

// ---------------------------------------------------------------- chats

function chatFor(task) {
  let c = S.chats.get(task.id);
  if (c) {
    if (task.serviceName) c.task.serviceName = task.serviceName;
    return c;
  }
  c = {id: task.id, task, seqs: new Set(), maxSeq: 0, unread: 0, done: false, readSent: 0, visitorRead: 0,
    typingOn: false, typingTimer: 0, theirTyping: 0};
  S.chats.set(task.id, c);
  S.order.push(task.id);
  buildChat(c);
  if (!S.active) activate(task.id);
  renderChatCount();
  return c;
}

function assigned(task, offerId) {
  if (offerId) dropOffer(offerId);
  if (!task || !task.id) return;
  const c = chatFor(task);
  if (c.done) { // a transfer brought it back
    c.done = false;
    c.status.hidden = true;
    c.form.hidden = false;
    c.endBtn.disabled = c.trBtn.disabled = false;
    c.closeBtn.hidden = true;
    c.tab.classList.remove('done');
  }
  history(c);
  callState(task.id, task.modality);
  activate(task.id);
  show('chats');
  refreshSessions();
  c.input.focus();
}

// callState follows a task's call: its panel shows beside the chat.
function callState(taskId, mode, rejoin) {
  const c = S.chats.get(taskId);
  if (!c || c.done) return;
  c.call.set(mode, rejoin);
  c.panel.classList.toggle('incall', !!c.call.mode);
  c.tab.classList.toggle('incall', !!c.call.mode);
}

function released(d) {
  const c = S.chats.get(d.taskId);
  if (c) finish(c, d.reason === 'transferred' ? T.chatTransferred : T.chatDropped);
  refreshSessions();
}

function ended(taskId) {
  const c = S.chats.get(taskId);
  if (c && !c.done) finish(c, T.chatEnded);
  refreshSessions();
}

function finish(c, why) {
  c.done = true;
  c.call.stop();
  c.panel.classList.remove('incall');
  c.tab.classList.remove('incall');
  c.status.textContent = why;
  c.status.hidden = false;
  c.form.hidden = true;
  c.endBtn.disabled = c.trBtn.disabled = true;
  c.closeBtn.hidden = false;
  c.typingEl.hidden = true;
  c.tab.classList.add('done');
  renderChatCount();
}

// dl lists an object's entries as text; labels name the keys (a key
// without a label shows as itself).
function dl(obj, labels) {
  const keys = Object.keys(obj || {});
  if (!keys.length) return h('p', {class: 'hint', text: T.none});
  labels = labels || {};
  return h('dl', null, keys.sort().map(k => [h('dt', {text: labels[k] || k, 'data-key': k}), h('dd', {text: obj[k]})]));
}

// showFields shows the visitor's pre-chat fields by the labels of the
// task's pre-chat form, in the console's language.
function showFields(c, fields) {
  const labels = {consent: T.consentField};
  fill(c.fieldsEl, dl(fields, labels));
  if (!Object.keys(fields || {}).length) return;
  api('GET', '/api/v1/me/tasks/' + encodeURIComponent(c.id) + '/fields?lang=' + language())
    .then(r => fill(c.fieldsEl, dl(fields, Object.assign(labels, r.labels))))
    .catch(() => { /* the keys stay */ });
}

function buildChat(c) {
  const t = c.task, v = t.visitor || {};
  const who = v.name || T.anonymous;
  c.unreadEl = h('span', {class: 'unread', hidden: true});
  c.tab = h('button', {type: 'button', role: 'tab', id: 'tab-' + c.id, 'aria-controls': 'panel-' + c.id, 'aria-selected': 'false',
    tabindex: '-1', 'data-task': c.id, onclick: () => activate(c.id)}, h('span', {class: 'tab-name', text: who}), c.unreadEl);
  c.log = h('div', {class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': who});
  c.typingEl = h('p', {class: 'typing', hidden: true, 'aria-live': 'polite', text: who + ' ' + T.isTyping});
  c.status = h('p', {class: 'chat-status', role: 'status', hidden: true});
  c.input = h('textarea', {rows: 2, maxlength: 4000, 'aria-label': T.typeMessage, placeholder: T.typeMessage,
    oninput: () => typingInput(c),
    onkeydown: e => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        c.form.requestSubmit();
      }
    }});
  c.form = h('form', {class: 'composer', onsubmit: e => {
    e.preventDefault();
    const text = c.input.value.trim();
    if (!text || c.done) return;
    c.input.value = '';
    sendMessage(c, text);
  }}, c.input, h('button', {type: 'submit', class: 'primary', text: T.send}));
  c.trBtn = h('button', {type: 'button', class: 'transfer-btn', onclick: () => openTransfer(c)}, T.transfer);
  c.endBtn = h('button', {type: 'button', class: 'danger end-btn', onclick: () => endChat(c)}, T.end);
  c.closeBtn = h('button', {type: 'button', class: 'link close-btn', hidden: true, onclick: () => closeChat(c)}, T.close);
  c.fieldsEl = h('div', {class: 'fields'});
  showFields(c, v.fields);
  const info = h('aside', {class: 'info', 'aria-label': T.details},
    h('h3', {text: T.visitor}),
    h('dl', null, h('dt', {text: T.name}), h('dd', {class: 'v-name', text: who}),
      v.email ? [h('dt', {text: T.email}), h('dd', {text: v.email}, h('span', {class: 'hint', text: ' ' + T.unverified}))] : null,
      h('dt', {text: T.service}), h('dd', {class: 'v-service', text: t.serviceName || serviceName(t.serviceId)}),
      t.origin ? [h('dt', {text: T.origin}), h('dd', {text: t.origin})] : null,
      t.queuedAt ? [h('dt', {text: T.waitingSince}), h('dd', {text: timeOf(t.queuedAt)})] : null),
    h('h3', {text: T.prechat}), c.fieldsEl,
    h('h3', {text: T.context}), h('div', {class: 'context'}, dl(v.context)),
    visitsSection(api, c.id, language(), s => transcriptLink(s.id, who + ', ' + timeOf(s.createdAt))),
    h('h3', {text: T.labels}),
    labelEditor({api, serviceId: t.serviceId, idPrefix: 'l-' + c.id,
      load: () => api('GET', '/api/v1/me/tasks/' + encodeURIComponent(c.id) + '/labels').catch(() => null),
      save: l => api('PUT', '/api/v1/me/tasks/' + encodeURIComponent(c.id) + '/labels', l),
      onSaved: () => refreshSessions()}));
  c.call = createCall(c.id, S.sock, who, fail);
  c.panel = h('div', {class: 'panel', role: 'tabpanel', id: 'panel-' + c.id, 'aria-labelledby': 'tab-' + c.id, hidden: true, 'data-task': c.id},
    c.call.el,
    h('div', {class: 'chat'},
      h('div', {class: 'chat-head'}, h('h2', {text: who}), h('span', {class: 'spacer'}), c.trBtn, c.endBtn, c.closeBtn),
      c.log, c.typingEl, c.status, c.form),
    info);
  E.tabs.append(c.tab);
  E.panels.append(c.panel);
}

function activate(id) {
  S.active = id;
  for (const c of S.chats.values()) {
    const on = c.id === id;
    c.tab.setAttribute('aria-selected', on ? 'true' : 'false');
    c.tab.tabIndex = on ? 0 : -1;
    c.panel.hidden = !on;
  }
  E.noChats.hidden = S.chats.size > 0;
  const c = S.chats.get(id);
  if (c) c.log.scrollTop = c.log.scrollHeight; // it could not scroll while hidden
  markRead(id);
}

function stepTab(dir, focusInput) {
  if (!S.order.length) return;
  const i = S.order.indexOf(S.active);
  const id = S.order[(i + dir + S.order.length) % S.order.length];
  show('chats');
  activate(id);
  const c = S.chats.get(id);
  if (focusInput && !c.done) c.input.focus();
  else c.tab.focus();
}

function tabKeys(e) {
  if (e.altKey) return;
  if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
    e.preventDefault();
    stepTab(e.key === 'ArrowRight' ? 1 : -1, false);
  }
}

function closeChat(c) {
  if (!c.done) return;
  S.chats.delete(c.id);
  S.order = S.order.filter(x => x !== c.id);
  c.call.close();
  c.tab.remove();
  c.panel.remove();
  if (S.active === c.id) {
    S.active = '';
    if (S.order.length) activate(S.order[S.order.length - 1]);
  }
  E.noChats.hidden = S.chats.size > 0;
  renderChatCount();
}

function renderChatCount() {
  const open = [...S.chats.values()].filter(c => !c.done).length;
  const unread = [...S.chats.values()].reduce((n, c) => n + c.unread, 0);
  E.chatCount.hidden = !open && !unread;
  E.chatCount.textContent = unread ? open + ' · ' + unread + ' ' + T.unreadNew : String(open);
}

// ---------------------------------------------------------------- messages

function history(c) {
  S.sock.request('task.history', {taskId: c.id, afterSeq: c.maxSeq}).then(r => {
    for (const m of r.messages || []) message(m);
  }).catch(() => {});
}

function message(m) {
  const c = S.chats.get(m.taskId);
  if (!c || c.seqs.has(m.seq)) return;
  c.seqs.add(m.seq);
  c.maxSeq = Math.max(c.maxSeq, m.seq);
  let el = m.clientId && m.from === 'agent' ? c.log.querySelector('[data-client="' + CSS.escape(m.clientId) + '"]') : null;
  if (el) {
    el.dataset.seq = m.seq;
    el.classList.remove('pending');
    setStatus(c, el);
  } else {
    el = msgEl(m, c);
    // Keep seq order even when history and live frames interleave.
    const after = [...c.log.querySelectorAll('.m[data-seq]')].find(x => +x.dataset.seq > m.seq);
    c.log.insertBefore(el, after || c.log.querySelector('.m.pending'));
  }
  if (m.from === 'visitor') {
    c.typingEl.hidden = true; // their message ends their typing
    c.theirTyping = 0;
    if (S.active !== c.id || S.view !== 'chats' || document.hidden) {
      c.unread++;
      renderUnread(c);
    } else markRead(c.id);
  }
  c.log.scrollTop = c.log.scrollHeight;
}

function msgEl(m, c) {
  if (m.event) return eventEl(m, c);
  const cls = m.from === 'visitor' ? 'v' : m.from === 'agent' ? 'a' : 's';
  const el = h('div', {class: 'm ' + cls, 'data-seq': m.seq || null, 'data-client': m.clientId || null},
    m.from !== 'system' ? h('span', {class: 'who', text: m.name || (m.from === 'visitor' ? T.visitor : '')}) : null,
    h('span', {class: 'b', text: m.text}),
    h('span', {class: 'meta'}, h('time', {text: timeOf(m.at || new Date().toISOString())}), h('span', {class: 'st'})));
  return el;
}

// eventEl shows an event of the task (its call's start, connection, media
// switch and end) as a line of the conversation, in the console's language.
function eventEl(m, c) {
  const e = m.event;
  const v = (c && c.task.visitor) || {};
  const who = e.by === 'visitor' ? v.name || T.anonymous : !e.by || e.by === 'system' ? '' : S.me && e.by === S.me.id ? T.you : T.anAgent;
  return h('div', {class: 'm s ev', 'data-seq': m.seq || null, 'data-event': e.type},
    h('span', {class: 'b', text: [eventText(e), who].filter(Boolean).join(' · ')}),
    h('span', {class: 'meta'}, h('time', {text: timeOf(m.at)})));
}

function eventText(e) {
  const kind = e.modality === 'video' ? T.videoCall : T.audioCall;
  switch (e.type) {
    case 'call.started': return kind + ' ' + T.callStartedEv;
    case 'call.connected': return kind + ' ' + T.callConnectedEv;
    case 'call.modality': return e.modality === 'video' ? T.switchedToVideo : T.switchedToAudio;
    case 'call.ended': return T.callEndedEv + ' · ' + (e.connected ? clock((e.durationMs || 0) / 1000) : T.notConnected);
  }
  return e.type;
}

// transcriptLink opens the printable transcript of an ended session.
function transcriptLink(taskId, visitorName) {
  return h('a', {class: 'transcript-link', href: '/api/v1/sessions/' + encodeURIComponent(taskId) + '/transcript?format=html',
    target: '_blank', rel: 'noopener', 'aria-label': T.transcriptOf + ' ' + (visitorName || T.anonymous), text: T.transcript});
}

function setStatus(c, el) {
  const st = el.querySelector('.st');
  if (!st || !el.classList.contains('a')) return;
  if (el.classList.contains('failed')) st.textContent = T.failed;
  else if (el.classList.contains('pending')) st.textContent = T.sending;
  else st.textContent = +el.dataset.seq <= c.visitorRead ? T.read : T.sent;
}

function sendMessage(c, text) {
  const clientId = newClientId();
  const el = msgEl({from: 'agent', name: S.me.name, text, clientId});
  el.classList.add('pending');
  c.log.append(el);
  setStatus(c, el);
  c.log.scrollTop = c.log.scrollHeight;
  S.outbox.set(clientId, {taskId: c.id, text, el});
  stopTyping(c);
  flush(clientId);
}

// flush sends one outbox message; a lost connection leaves it there to be
// resent after the next hello with the same clientId.
function flush(clientId) {
  const o = S.outbox.get(clientId);
  if (!o || !S.sock.up) return;
  S.sock.request('message.send', {taskId: o.taskId, clientId, text: o.text}).then(ack => {
    S.outbox.delete(clientId);
    const c = S.chats.get(o.taskId);
    if (!c) return;
    o.el.classList.remove('pending');
    if (ack.seq && !c.seqs.has(ack.seq)) {
      c.seqs.add(ack.seq);
      c.maxSeq = Math.max(c.maxSeq, ack.seq);
    }
    if (ack.seq) o.el.dataset.seq = ack.seq;
    setStatus(c, o.el);
  }).catch(e => {
    if (e.code === 'disconnected') return;
    S.outbox.delete(clientId);
    o.el.classList.remove('pending');
    o.el.classList.add('failed');
    const c = S.chats.get(o.taskId);
    if (c) setStatus(c, o.el);
    fail(e);
  });
}

function renderUnread(c) {
  c.unreadEl.hidden = !c.unread;
  c.unreadEl.textContent = String(c.unread);
  c.unreadEl.setAttribute('aria-label', c.unread + ' ' + T.unread);
  renderChatCount();
}

function markRead(id) {
  const c = S.chats.get(id);
  if (!c || S.view !== 'chats' || document.hidden) return;
  if (c.unread) {
    c.unread = 0;
    renderUnread(c);
  }
  if (!c.done && c.maxSeq > c.readSent && S.sock && S.sock.up) {
    c.readSent = c.maxSeq;
    S.sock.quiet('read', {taskId: c.id, seq: c.maxSeq});
  }
}

function typingInput(c) {
  if (c.done) return;
  if (!c.input.value.trim()) return stopTyping(c); // a blank draft (or the line break of a send) is no typing
  if (!c.typingOn) {
    c.typingOn = true;
    S.sock.quiet('typing', {taskId: c.id, on: true});
  }
  clearTimeout(c.typingTimer);
  c.typingTimer = setTimeout(() => stopTyping(c), 3000);
}

function stopTyping(c) {
  clearTimeout(c.typingTimer);
  if (c.typingOn) {
    c.typingOn = false;
    S.sock.quiet('typing', {taskId: c.id, on: false});
  }
}

function typing(d) {
  const c = S.chats.get(d.taskId);
  if (!c || d.from !== 'visitor') return;
  c.typingEl.hidden = !d.on || c.done;
  c.theirTyping = d.on ? Date.now() : 0;
}

function read(d) {
  const c = S.chats.get(d.taskId);
  if (!c || d.from !== 'visitor') return;
  c.visitorRead = Math.max(c.visitorRead, d.seq || 0);
  for (const el of c.log.querySelectorAll('.m.a')) setStatus(c, el);
}

async function endChat(c) {
  if (c.done) return;
  try {
    await S.sock.request('task.end', {taskId: c.id});
    finish(c, T.chatEnded);
  } catch (e) {
    fail(e);
  }
}

// ---------------------------------------------------------------- transfer

async function openTransfer(c) {
  const agents = new Map();
  for (const s of S.services) {
    try {
      const q = await S.sock.request('queue.watch', {serviceId: s.id});
      if (!S.watched.has(s.id)) S.sock.quiet('queue.unwatch', {serviceId: s.id});
      for (const a of q.agents || []) {
        if (a.id !== S.me.id && a.state !== 'offline' && a.presence === 'available') agents.set(a.id, a);
      }
    } catch { /* a service we cannot watch */ }
  }
  const targets = [...agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  const toAgent = h('select', {id: 'tr-agent', name: 'agent'}, targets.map(a =>
    h('option', {value: a.id, text: a.name + ' — ' + (states[a.state] || a.state)})));
  const toService = h('select', {id: 'tr-service', name: 'service'},
    [...S.services, ...S.supervised.filter(x => !S.services.some(y => y.id === x.id))].map(s =>
      h('option', {value: s.id, text: s.name, selected: s.id === c.task.serviceId})));
  const kindAgent = h('input', {type: 'radio', name: 'kind', id: 'tr-kind-agent', value: 'agent', checked: targets.length > 0, disabled: !targets.length});
  const kindService = h('input', {type: 'radio', name: 'kind', id: 'tr-kind-service', value: 'service', checked: !targets.length});
  const err = h('p', {class: 'error', role: 'alert'});
  const form = h('form', {method: 'dialog', onsubmit: async e => {
    e.preventDefault();
    const data = kindAgent.checked ? {taskId: c.id, toAgentId: toAgent.value} : {taskId: c.id, toServiceId: toService.value};
    try {
      await S.sock.request('task.transfer', data);
      E.dialog.close();
      finish(c, T.chatTransferred);
      refreshSessions();
    } catch (x) {
      err.textContent = x.message || T.transferFailed;
    }
  }},
  h('h2', {id: 'tr-title', text: T.transferTitle}),
  h('div', {class: 'row'}, kindAgent, h('label', {for: 'tr-kind-agent', text: T.toAgent}), toAgent),
  targets.length ? null : h('p', {class: 'hint', text: T.noAgents}),
  h('div', {class: 'row'}, kindService, h('label', {for: 'tr-kind-service', text: T.toService}), toService),
  err,
  h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'primary', text: T.doTransfer}),
    h('button', {type: 'button', text: T.cancel, onclick: () => E.dialog.close()})));
  toAgent.addEventListener('change', () => { kindAgent.checked = true; });
  toService.addEventListener('change', () => { kindService.checked = true; });
  fill(E.dialog, form);
  E.dialog.showModal();
  (targets.length ? toAgent : toService).focus();
  E.dialog.addEventListener('close', () => { if (!c.done) c.input.focus(); }, {once: true});
}

// ---------------------------------------------------------------- ACW and RONA

function renderACW() {
  const a = S.agent;
  const on = !!(a && a.acwUntil); // the server sends acwUntil only during ACW
  if (!on) {
    E.acw.hidden = true;
    return;
  }
  if (E.acw.hidden || !E.acw.firstChild) {
    E.acwLeft = h('span', {class: 'left'});
    fill(E.acw, h('strong', {text: T.acw}), ' ', E.acwLeft, ' ',
      h('button', {type: 'button', class: 'primary acw-end', onclick: () => S.sock.request('acw.end', {}).catch(fail)}, T.endEarly),
      h('button', {type: 'button', class: 'acw-extend', onclick: () => S.sock.request('acw.extend', {}).catch(fail)}, T.extend));
  }
  E.acw.hidden = false;
  tickACW();
}

function tickACW() {
  if (E.acw.hidden || !S.agent || !E.acwLeft) return;
  const left = S.agent.acwUntil ? (Date.parse(S.agent.acwUntil) - Date.now()) / 1000 : 0;
  E.acwLeft.textContent = clock(left) + ' ' + T.acwLeft;
}

function renderRona() {
  if (!(S.ronaUntil > 0)) {
    E.rona.hidden = true;
    return;
  }
  fill(E.rona, T.ronaBanner + ' ' + timeOf(new Date(S.ronaUntil).toISOString()) + '. ',
    h('button', {type: 'button', class: 'primary rona-reset', onclick: () => {
      S.sock.request('rona.reset', {}).then(() => { S.ronaUntil = 0; renderRona(); }).catch(fail);
    }}, T.ronaReset));
  E.rona.hidden = false;
}

function tickOffers() {
  const now = Date.now();
  for (const x of S.offers.values()) {
    const left = Math.max(0, x.deadline - now);
    x.count.textContent = clock(left / 1000);
    x.bar.value = left;
  }
}

let lastBeep = 0;
function tick() {
  tickOffers();
  tickACW();
  if (S.offers.size && Date.now() - lastBeep > 3000) {
    if (lastBeep) beep();
    lastBeep = Date.now();
  } else if (!S.offers.size) lastBeep = 0;
  for (const c of S.chats.values()) {
    if (c.theirTyping && Date.now() - c.theirTyping > 10000) { // a lost "off"
      c.theirTyping = 0;
      c.typingEl.hidden = true;
    }
  }
  if (S.view === 'supervisor' || !E.pickup.hidden) tickWaits();
}

// ---------------------------------------------------------------- My Sessions

let sessionsTimer = 0;
function refreshSessions() {
  if (S.view !== 'sessions') return;
  clearTimeout(sessionsTimer);
  sessionsTimer = setTimeout(loadSessions, 200);
}

const sessionPage = 25;

async function sessionsPage(cursor) {
  const r = await api('GET', '/api/v1/me/sessions?limit=' + sessionPage + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
  return {items: r.items || [], next: r.nextCursor || ''};
}

// loadSessions shows the first page again; an open label editor holds
// the refresh back until it is closed.
async function loadSessions(force) {
  const el = E.views.sessions;
  if (force !== true && el.querySelector('tr.edit')) return;
  let page;
  try {
    page = await sessionsPage('');
  } catch (e) {
    fail(e);
    return;
  }
  const head = h('div', {class: 'view-head'}, h('h2', {text: T.sessionsTitle}),
    h('button', {type: 'button', onclick: () => loadSessions(true), text: T.refresh}));
  if (!page.items.length) {
    fill(el, head, h('p', {class: 'empty', text: T.noSessions}));
    return;
  }
  E.sessionRows = h('tbody', null, page.items.map(sessionRow));
  E.more = h('button', {type: 'button', class: 'more', onclick: loadMoreSessions, text: T.loadMore});
  S.sessionsCursor = page.next;
  E.more.hidden = !page.next;
  fill(el, head, h('table', {class: 'sessions'},
    h('thead', null, h('tr', null, [' ', T.time, T.modality, T.service, T.visitor, T.outcome, T.rating, T.labels, ' '].map(x => h('th', {scope: 'col', text: x})))),
    E.sessionRows), E.more);
}

async function loadMoreSessions() {
  if (!S.sessionsCursor) return;
  E.more.disabled = true;
  try {
    const page = await sessionsPage(S.sessionsCursor);
    const rows = page.items.map(sessionRow);
    E.sessionRows.append(...rows);
    S.sessionsCursor = page.next;
    E.more.hidden = !page.next;
    if (rows.length) rows[0].querySelector('td:nth-child(2)').focus();
  } catch (e) {
    fail(e);
  }
  E.more.disabled = false;
}

// editLabels opens (or closes) the label editor below a session's row.
function editLabels(s, row, btn) {
  const open = row.nextElementSibling && row.nextElementSibling.classList.contains('edit') ? row.nextElementSibling : null;
  if (open) {
    open.remove();
    btn.setAttribute('aria-expanded', 'false');
    return;
  }
  const form = labelEditor({api, serviceId: s.serviceId, idPrefix: 's-' + s.id,
    load: () => Promise.resolve(s),
    save: l => api('PUT', '/api/v1/me/sessions/' + encodeURIComponent(s.id) + '/labels', l),
    onSaved: l => {
      Object.assign(s, l);
      row.querySelector('.labels-cell').textContent = labelText(s);
    }});
  const close = h('button', {type: 'button', class: 'link', text: T.close, onclick: () => { editRow.remove(); btn.setAttribute('aria-expanded', 'false'); btn.focus(); }});
  const editRow = h('tr', {class: 'edit', 'data-offer': s.id}, h('td', {colspan: 9}, form, close));
  row.after(editRow);
  btn.setAttribute('aria-expanded', 'true');
  form.addEventListener('keydown', e => { if (e.key === 'Escape') close.click(); });
  setTimeout(() => { const f = form.querySelector('input'); if (f) f.focus(); }, 0);
}

function sessionRow(s) {
  const live = !s.endedAt;
  const outcome = live && !s.answeredAt ? 'ringing' : s.outcome || 'ringing';
  const color = {accepted: 'green', transferred: 'green', declined: 'red', rona: 'yellow', ringing: 'yellow'}[outcome] || 'grey';
  const pulse = live ? h('span', {class: 'pulse ' + (s.answeredAt ? 'green' : 'yellow'), title: T.live, 'aria-label': T.live}) : null;
  const btn = s.answeredAt ? h('button', {type: 'button', class: 'label-btn', 'aria-expanded': 'false',
    'aria-label': T.editLabels + ': ' + (s.visitorName || T.anonymous) + ', ' + timeOf(s.offeredAt), text: T.editLabels}) : null;
  const row = h('tr', {class: 'session c-' + color, 'data-task': s.taskId, 'data-offer': s.id, 'data-outcome': outcome, 'data-live': live ? 'true' : 'false'},
    h('td', {class: 'bar'}, pulse),
    h('td', {text: timeOf(s.offeredAt), tabindex: '-1'}),
    h('td', {text: (s.modality === 'chat' ? T.chat : s.modality === 'video' ? T.video : T.audio) + ' · ' + T.inbound}),
    h('td', {text: s.serviceName || '—'}),
    h('td', {text: s.visitorName || T.anonymous}),
    h('td', {class: 'outcome', text: outcomes[outcome] || outcome}),
    h('td', {class: 'rating-cell'}, ratingEl(s.rating, true)),
    h('td', {class: 'labels-cell', text: labelText(s)}),
    h('td', {class: 'actions'},
      // Handled, or offered in a service the agent is still in: theirs to read.
      s.taskState === 'ended' && (s.answeredAt || S.services.some(x => x.id === s.serviceId)) ? transcriptLink(s.taskId, s.visitorName) : null,
      btn));
  if (btn) btn.addEventListener('click', () => editLabels(s, row, btn));
  return row;
}

// ---------------------------------------------------------------- pick-up

// renderPickup lists the waiting tasks of the agent's pickup services.
function renderPickup() {
  const svcs = pickupServices();
  E.pickup.hidden = !svcs.length;
  if (!svcs.length) return;
  const focused = document.activeElement && E.pickup.contains(document.activeElement) ? document.activeElement.dataset.task : '';
  const rows = [];
  for (const s of svcs) {
    const x = S.queues.get(s.id);
    if (!x) continue;
    for (const w of x.q.waiting) {
      if (w.targetAgentId || w.ringing) continue;
      const who = (w.visitor && w.visitor.name) || T.anonymous;
      rows.push(h('tr', {'data-task': w.id, 'data-service': s.id},
        h('td', {text: who}),
        h('td', {text: s.name}),
        h('td', {class: 'wait', 'data-since': String(x.at - w.waitMs), text: clock(w.waitMs / 1000)}),
        h('td', null, h('button', {type: 'button', class: 'primary pickup-btn', 'data-task': w.id, 'aria-label': T.pickUp + ': ' + who + ' (' + s.name + ')',
          onclick: () => claim(w.id)}, T.pickUp))));
    }
  }
  fill(E.pickup, h('h2', {id: 'pickup-h', text: T.pickupTitle + ' (' + rows.length + ')'}),
    rows.length ? h('table', {class: 'pickup-list'},
      h('thead', null, h('tr', null, [T.visitor, T.service, T.wait, ' '].map(t => h('th', {scope: 'col', text: t})))),
      h('tbody', null, rows)) : h('p', {class: 'hint', text: T.nobodyWaiting}),
    h('p', {class: 'hint', text: T.pickupHint}));
  if (focused) {
    const b = E.pickup.querySelector('button[data-task="' + CSS.escape(focused) + '"]') || E.pickup.querySelector('button.pickup-btn');
    if (b) b.focus();
  }
}

function pickFirst() {
  const b = E.pickup.hidden ? null : E.pickup.querySelector('button.pickup-btn');
  if (b) claim(b.dataset.task);
}

async function claim(taskId) {
  if (S.claiming.has(taskId)) return;
  S.claiming.add(taskId);
  for (const b of E.pickup.querySelectorAll('button[data-task="' + CSS.escape(taskId) + '"]')) b.disabled = true;
  try {
    const r = await S.sock.request('task.claim', {taskId});
    for (const [id, x] of S.offers) if (x.offer.task && x.offer.task.id === taskId) dropOffer(id);
    assigned(r.task);
  } catch (e) {
    fail(e);
    queueChanged();
  } finally {
    S.claiming.delete(taskId);
  }
}

// ---------------------------------------------------------------- supervisor

async function loadSupervised() {
  try {
    S.supervised = ((await api('GET', '/api/v1/services')).items || []).map(s => ({id: s.id, name: s.name}));
  } catch {
    S.supervised = [];
  }
  for (const s of S.supervised) S.watched.add(s.id);
  if (S.up) for (const s of S.supervised) watch(s.id);
  renderSupervisor();
}

function watch(id) {
  S.sock.request('queue.watch', {serviceId: id}).then(q => {
    S.queues.set(id, {q, at: Date.now()});
    if (S.view === 'supervisor') renderSupervisor();
    renderPickup();
  }).catch(() => {});
}

let queueTimer = 0;
function queueChanged() {
  // queue.changed names no service worth trusting for order: fetch the
  // watched snapshots again, at most every 150 ms.
  if (queueTimer) return;
  queueTimer = setTimeout(() => {
    queueTimer = 0;
    for (const id of S.watched) watch(id);
  }, 150);
}

function supervisedAgent(a) {
  let hit = false;
  for (const x of S.queues.values()) {
    const i = x.q.agents.findIndex(y => y.id === a.id);
    if (i >= 0) {
      x.q.agents[i] = a;
      hit = true;
    }
  }
  if (hit && S.view === 'supervisor') renderSupervisor();
}

function renderSupervisor() {
  const el = E.views.supervisor;
  const head = h('div', {class: 'view-head'}, h('h2', {text: T.supervisorTitle}));
  if (!S.supervised.length) {
    fill(el, head, h('p', {class: 'empty', text: T.noSupervised}));
    return;
  }
  const focused = document.activeElement && el.contains(document.activeElement) && document.activeElement.classList.contains('recent-refresh');
  fill(el, head, S.supervised.map(s => {
    const x = S.queues.get(s.id);
    const q = x ? x.q : {waiting: [], agents: []};
    const at = x ? x.at : Date.now();
    const agents = [...q.agents].sort((a, b) => a.name.localeCompare(b.name));
    return h('section', {class: 'queue', 'data-service': s.id, 'aria-label': s.name},
      h('h3', {text: s.name}),
      h('h4', {text: T.waiting + ' (' + q.waiting.length + ')'}),
      q.waiting.length ? h('table', {class: 'waiting'},
        h('thead', null, h('tr', null, ['#', T.visitor, T.wait, T.priority, T.state].map(t => h('th', {scope: 'col', text: t})))),
        h('tbody', null, q.waiting.map(w => h('tr', {'data-task': w.id},
          h('td', {text: String(w.position)}),
          h('td', {text: (w.visitor && w.visitor.name) || T.anonymous}),
          h('td', {class: 'wait', 'data-since': String(at - w.waitMs), text: clock(w.waitMs / 1000)}),
          h('td', {text: String(w.priority) + (w.strict ? ' ' + T.strict : '')}),
          h('td', {text: w.ringing ? T.ringing + ' (' + w.ringing + ')' : T.waiting}))))) :
        h('p', {class: 'hint', text: T.nobodyWaiting}),
      h('h4', {text: T.agents + ' (' + agents.length + ')'}),
      h('table', {class: 'agents'},
        h('thead', null, h('tr', null, [T.name, T.state, T.load].map(t => h('th', {scope: 'col', text: t})))),
        h('tbody', null, agents.map(a => h('tr', {'data-agent': a.id, 'data-state': a.state},
          h('td', {text: a.name}),
          h('td', null, h('span', {class: 'state s-' + a.state, text: (states[a.state] || a.state) + (a.reason ? ' — ' + a.reason : '')})),
          h('td', {text: a.chats + ' ' + (a.chats === 1 ? T.chatOne : T.chatMany) + (a.calls ? ', ' + a.calls + ' ' + T.callOne : '') + (a.ringing ? ', ' + a.ringing + ' ' + T.ringing : '')}))))));
  }), recentSessions());
  if (focused) el.querySelector('.recent-refresh').focus();
}

// loadRecent fetches the latest ended sessions of the supervised services
// whose transcripts the supervisor may read.
async function loadRecent() {
  try {
    const r = await api('GET', '/api/v1/sessions?limit=50');
    S.recent = (r.items || []).filter(s => s.state === 'ended' && s.transcriptReadable).slice(0, 10);
  } catch {
    S.recent = [];
  }
  if (S.view === 'supervisor') renderSupervisor();
}

function recentSessions() {
  const items = S.recent || [];
  return h('section', {class: 'recent', 'aria-labelledby': 'recent-h'},
    h('div', {class: 'view-head'}, h('h3', {id: 'recent-h', text: T.recentSessions}),
      h('button', {type: 'button', class: 'recent-refresh', onclick: loadRecent, text: T.refresh})),
    items.length ? h('table', {class: 'sessions recent-list'},
      h('thead', null, h('tr', null, [T.time, T.service, T.visitor, T.modality, T.outcome, T.rating, ' '].map(t => h('th', {scope: 'col', text: t})))),
      h('tbody', null, items.map(s => h('tr', {'data-task': s.id},
        h('td', {text: timeOf(s.createdAt)}),
        h('td', {text: serviceName(s.serviceId, s.directUserId ? T.directContact : '—')}),
        h('td', {text: (s.visitor && s.visitor.name) || T.anonymous}),
        h('td', {text: s.modality === 'chat' ? T.chat : s.modality === 'video' ? T.video : T.audio}),
        h('td', {class: 'outcome', text: taskOutcomes[s.outcome] || s.outcome}),
        h('td', {class: 'rating-cell'}, ratingEl(s.rating, true)),
        h('td', null, transcriptLink(s.id, s.visitor && s.visitor.name)))))) :
      h('p', {class: 'hint', text: T.noRecent}));
}

function tickWaits() {
  const now = Date.now();
  for (const td of document.querySelectorAll('td.wait')) td.textContent = clock((now - +td.dataset.since) / 1000);
}

// ---------------------------------------------------------------- boot

function boot() {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [sheet];
  api('GET', '/api/v1/session').then(start, () => signIn());
}

boot();
