// The chat UI, loaded by the loader (loader.js) on the first interaction,
// when the browser is idle, or at once when the page resumes a chat. It
// attaches itself to the loader's context (window[Symbol.for
// ('interact.widget')]) and renders into the loader's shadow root.
//
// Protocol: docs/protocol.md. Rules kept here:
//   - every visitor- or agent-supplied text is rendered as text
//     (textContent / Text nodes), never parsed as HTML;
//   - no inline handlers, no eval, no cookies (credentials: 'omit');
//   - styles are constructed stylesheets (adoptedStyleSheets), so a strict
//     CSP needs no style-src for the widget;
//   - messages carry a clientId and are resent until acknowledged;
//   - the task ({taskId, resumeToken, lastSeq, …}) lives in localStorage
//     under "interact:<contactId>", so it survives reloads and navigation,
//     and tabs follow each other through the storage event;
//   - what a tab has not sent yet (the composer's draft, unacknowledged
//     messages) is the tab's own, in sessionStorage, so tabs never overwrite
//     each other's;
//   - the service's pre-chat form and text overrides come with the config
//     (ctx.cfg.widget) and apply live.

import css from './panel.css';
import { TEXTS, fmt } from './i18n.js';
import { readStore, storeKey } from './shared.js';
import { createCall, media } from './call.js';
import { ratingForm, ratedNote, RATEABLE } from './rating.js';
import { visitorId, previousBox } from './visitor.js';

const MODES = ['chat', 'audio', 'video'];
// Outcomes after which the visitor may leave a message.
const LEAVE = ['no_agent', 'queue_timeout', 'transfer_failed'];
const RESEND_MS = 5000;

const ctx = window[Symbol.for('interact.widget')];
if (ctx && !ctx.ui) ctx.attach(createUI(ctx));

function createUI(ctx) {
  const d = document;
  const BASE = TEXTS[ctx.lang] || TEXTS.en;
  // T is BASE with the service's overrides (plain text), updated in place
  // when they change, so every part of the UI sees the current texts.
  const T = {};
  let textsSig = null;
  let formSig = null;
  applyTexts();
  const errText = (code, msg) => T.errors[code] || msg || T.errors.internal;
  const root = ctx.root;
  const launcher = ctx.launcher;
  const KEY = storeKey(ctx.contactId);
  const DRAFT = KEY + ':draft'; // this tab's unsent text (sessionStorage)
  const PENDING = KEY + ':pending'; // this tab's unacknowledged messages
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  const timeFmt = new Intl.DateTimeFormat(ctx.lang, { hour: '2-digit', minute: '2-digit' });
  const dateFmt = new Intl.DateTimeFormat(ctx.lang, { dateStyle: 'short', timeStyle: 'short' });
  const whenFmt = new Intl.DateTimeFormat(ctx.lang, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });

  // State.
  let task = null; // {taskId, resumeToken, token, exp, wsUrl}
  let ws = null;
  let wsReady = false;
  let retries = 0;
  let retryTimer = 0;
  let refreshTimer = 0;
  let lastSeq = 0; // highest message seq received
  let seen = 0; // highest seq the visitor has seen with the panel open
  let sentRead = 0;
  let agentRead = 0; // the agent has read up to this seq
  let unread = 0;
  let tstate = '';
  let agentName = '';
  let transferring = false;
  let position = 0;
  let waitSecs = 0;
  let ended = false;
  let leave = false;
  let said = false; // the service's ended message is in the conversation: the widget does not repeat it
  let left = false; // a message was left out of hours (this page)
  let outcome = '';
  let rated = 0; // the stars the visitor gave this task
  let prevFor = ''; // the task whose previous conversation was asked for
  let isOpen = false;
  let view = '';
  let frameN = 0;
  let typingOn = false;
  let typingTimer = 0;
  let agentTypingTimer = 0;
  let visitor = {};
  let context = {};
  const pending = new Map(); // clientId → {text, at}
  const waiting = new Map(); // request frame id → {resolve, reject}
  const bySeq = new Map(); // seq → message element
  const byClient = new Map(); // clientId → message element

  // DOM.
  const title = h('h2', { id: 'ic-title', dir: 'auto' });
  const sub = h('p', { class: 'sub', role: 'status', dir: 'auto' });
  const closeBtn = h('button', { type: 'button', class: 'x', 'aria-label': T.close }, xIcon());
  const banner = h('div', { class: 'banner', role: 'alert', hidden: true }, T.reconnecting);
  const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.log, tabindex: '0' });
  const typing = h('div', { class: 'typing' });
  const bottom = h('div', { class: 'bottom' });
  const call = createCall({
    T,
    fmt,
    h,
    ctx,
    send: sendFrame,
    request,
    emit: ctx.emit,
    name: () => agentName || T.anAgent,
    hangUp() {
      sendFrame('call.hangup', {});
      call.stop();
      syncCall();
    },
  });
  const prev = h('div', { class: 'prev-box', hidden: true });
  const body = h('div', { class: 'body' }, call.el, prev, log, typing, bottom);
  const panel = h(
    'section',
    { class: 'panel', id: 'ic-panel', role: 'dialog', 'aria-labelledby': 'ic-title', hidden: true, lang: ctx.lang, dir: 'ltr' },
    h('header', {}, h('div', {}, title, sub), closeBtn),
    banner,
    body,
  );
  root.append(panel);
  launcher.setAttribute('aria-controls', 'ic-panel');
  closeBtn.addEventListener('click', () => close(true));
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close(true);
    }
  });
  let composer = null; // the chat view's textarea

  // ---- texts and the pre-chat form from the config

  function overrides() {
    const w = ctx.cfg && ctx.cfg.widget;
    return (w && w.texts && w.texts[ctx.lang]) || {};
  }

  function applyTexts() {
    const o = overrides();
    Object.assign(T, BASE, { errors: { ...BASE.errors } });
    for (const k in o) {
      if (k.startsWith('errors.')) T.errors[k.slice(7)] = o[k];
      else if (k in BASE && typeof BASE[k] === 'string') T[k] = o[k];
    }
    textsSig = JSON.stringify(o);
  }

  // form is the pre-chat form: the service's, or the built-in one.
  function form() {
    const w = ctx.cfg && ctx.cfg.widget;
    return w || { name: 'required', email: 'optional', fields: [], consent: { [ctx.lang]: T.consent } };
  }

  // pick chooses a per-language text: this language, else English, else any.
  function pick(m) {
    m = m || {};
    return m[ctx.lang] || m.en || Object.values(m).find(Boolean) || '';
  }

  // configChanged applies new texts or a new form to the open widget,
  // keeping what the visitor typed.
  function configChanged() {
    const fs = formSigOf();
    const ts = JSON.stringify(overrides());
    if (fs === formSig && ts === textsSig) return false;
    formSig = fs;
    if (ts !== textsSig) applyTexts();
    closeBtn.setAttribute('aria-label', T.close);
    banner.textContent = T.reconnecting;
    log.setAttribute('aria-label', T.log);
    const kept = {};
    const focused = bottom.contains(root.activeElement) && root.activeElement.name;
    for (const el of bottom.querySelectorAll('input[name], select[name], textarea[name]')) {
      if (el.type === 'radio') el.checked && (kept[el.name] = el.value);
      else kept[el.name] = el.type === 'checkbox' ? el.checked : el.value;
    }
    view = '';
    render();
    for (const el of bottom.querySelectorAll('input[name], select[name], textarea[name]')) {
      if (!(el.name in kept)) continue;
      if (el.type === 'radio') {
        if ((el.checked = el.value === kept[el.name])) el.dispatchEvent(new Event('change'));
      } else if (el.type === 'checkbox') el.checked = kept[el.name];
      else el.value = kept[el.name];
      if (el.name === focused) el.focus();
    }
    return true;
  }

  // formSigOf sums up what the config sets of the form views: the pre-chat
  // form (not its texts) and whether to ask for a rating.
  function formSigOf() {
    const w = ctx.cfg && ctx.cfg.widget;
    return JSON.stringify([w ? { ...w, texts: null } : null, !!(ctx.cfg && ctx.cfg.ratings)]);
  }

  // ---- rendering

  // offered reports whether the snippet and the server's config offer
  // modality m now; calls also need an agent who could take them.
  function offered(m) {
    const cfg = ctx.cfg;
    return !!(cfg && cfg.modalities && cfg.modalities[m] && ctx.modalities.includes(m) && (m === 'chat' || (cfg.available && cfg.available[m])));
  }

  function render() {
    const cfg = ctx.cfg;
    title.textContent = (cfg && cfg.name) || T.title;
    const anyOn = MODES.some(offered);
    // Out of hours, with something this snippet offers switched on: the
    // closed view. A task under way (queued before closing) carries on.
    const closed = !!(cfg && cfg.open === false && cfg.modalities && MODES.some((m) => cfg.modalities[m] && ctx.modalities.includes(m)));
    const v = task ? (ended ? 'ended' : 'chat') : closed ? 'closed' : anyOn ? 'prechat' : cfg || ctx.err ? 'off' : 'wait';
    if (v !== view) {
      const hadFocus = bottom.contains(root.activeElement);
      view = v;
      composer = null;
      log.hidden = typing.hidden = !task;
      bottom.replaceChildren();
      if (v === 'off') bottom.append(h('div', { class: 'notice' }, h('p', { class: 'why', dir: 'auto' })));
      if (v === 'prechat') bottom.replaceChildren(prechatForm());
      if (v === 'closed') bottom.replaceChildren(closedForm());
      else left = false;
      if (v === 'chat') bottom.replaceChildren(chatControls());
      if (v === 'ended') bottom.replaceChildren(endedControls());
      bottom.className = task ? 'bottom' : 'bottom grow';
      panel.classList.toggle('small', v === 'off');
      ctx.active = !!task && !ended; // the launcher stays on during a chat
      if (hadFocus) focusFirst();
    }
    if (v === 'off') bottom.querySelector('.why').textContent = errText(ctx.err || 'modality_disabled');
    if (v === 'prechat') bottom.querySelector('.intro').textContent = MODES.some((m) => offered(m) && cfg.available[m]) ? T.intro : T.offline;
    if (v === 'closed') {
      const when = bottom.querySelector('.when');
      when.textContent = opensText();
      when.hidden = !when.textContent;
    }
    syncCall();
    status();
  }

  // syncCall shows the buttons of the modalities offered now (live, as an
  // admin switches them) and tells the call whether its agent is there.
  function syncCall() {
    const inChat = view === 'chat' && tstate === 'connected' && !transferring && !call.mode;
    for (const b of bottom.querySelectorAll('[data-m]')) {
      const m = b.dataset.m;
      b.hidden = !offered(m) || (b.classList.contains('esc') && !inChat);
    }
    call.ready(!!task && !ended && wsReady && tstate === 'connected' && !transferring);
  }

  // request sends a frame and resolves with its answer's data.
  function request(type, data) {
    return new Promise((resolve, reject) => {
      const id = 'r' + ++frameN;
      if (!sendFrame(type, data, id)) return reject(fail('network'));
      waiting.set(id, { resolve, reject });
      setTimeout(() => waiting.delete(id) && reject(fail('network')), 10000);
    });
  }

  // escalate turns the chat into an audio or video call.
  async function escalate(m, btn) {
    btn.disabled = true;
    try {
      call.use(await media(m));
      await request('call.start', { modality: m });
    } catch (x) {
      call.stop();
      line(x.key ? T[x.key] : x.code === 'modality_disabled' ? T.callsOff : errText(x.code, x.message));
    }
    btn.disabled = false;
    syncCall();
  }

  function status() {
    let s = '';
    if (!task) s = view === 'off' ? T.unavailable : view === 'closed' ? T.closed : '';
    else if (ended) s = said ? '' : T.ended;
    else if (!wsReady && !tstate) s = '';
    else if (tstate === 'connected' && !transferring) s = fmt(T.chattingWith, { name: agentName || T.anAgent });
    else if (transferring) s = T.transferring;
    else if (position > 0) {
      s = fmt(T.queue, { n: position });
      if (waitSecs > 0) s += ' ' + (waitSecs < 60 ? T.waitLess : fmt(T.wait, { m: Math.round(waitSecs / 60) }));
    } else s = T.connecting;
    if (sub.textContent !== s) sub.textContent = s;
  }

  // visitorFields builds the fields of the pre-chat form (the service's,
  // or the built-in one). check() validates them inline and returns the
  // visitor's data, or null after focusing the first field in error.
  function visitorFields() {
    const F = form();
    const inputs = []; // {key, kind, get, set, el, req}
    const mark = (label, req) => [label, req ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : ' ' + T.optional];
    const std = (key, type, label, mode, auto) => {
      if (mode === 'off') return null;
      const f = field(type, key, mark(label, mode === 'required'), visitor[key], auto, 200, mode === 'required');
      inputs.push({ key, kind: type, req: mode === 'required', ...f });
      return f.label;
    };
    const kids = [std('name', 'text', T.name, F.name, 'name'), std('email', 'email', T.email, F.email, 'email')];
    for (const c of F.fields || []) {
      const key = 'x-' + c.key;
      const label = pick(c.label) || c.key;
      if (c.type === 'checkbox') {
        const f = checkField(key, label, c.required);
        inputs.push({ key: c.key, custom: true, kind: 'checkbox', req: c.required, ...f });
        kids.push(f.label);
        continue;
      }
      let f;
      if (c.type === 'choice') {
        const sel = h('select', { name: key, 'aria-describedby': 'ic-e-' + key }, h('option', { value: '' }, T.choose), ...(c.options || []).map((o) => h('option', { value: o }, o)));
        f = field(null, key, mark(label, c.required), '', '', 0, c.required, sel);
      } else {
        f = field(c.type === 'phone' ? 'tel' : c.type === 'email' ? 'email' : 'text', key, mark(label, c.required), '', c.type === 'phone' ? 'tel' : c.type === 'email' ? 'email' : 'off', c.maxLength || 200, c.required);
      }
      inputs.push({ key: c.key, custom: true, kind: c.type, req: c.required, ...f });
      kids.push(f.label);
    }
    const consentText = Object.keys(F.consent || {}).length ? pick(F.consent) : '';
    if (consentText) {
      const f = checkField('consent', consentText, true);
      inputs.push({ key: 'consent', consent: true, kind: 'checkbox', req: true, ...f });
      kids.push(f.label);
    }
    function check(extra) {
      let bad = null;
      const v = { fields: {} };
      for (const f of inputs.concat(extra || [])) {
        f.set('');
        const val = f.kind === 'checkbox' ? f.input.checked : f.input.value.trim();
        let msg = '';
        if (f.req && !val) msg = f.consent ? T.mustConsent : f.kind === 'checkbox' ? T.mustCheck : T.required;
        else if (val && f.kind === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(val)) msg = T.badEmail;
        else if (val && f.kind === 'phone' && !/^\+?[0-9 ()./-]{3,30}$/.test(val)) msg = T.badPhone;
        if (msg) {
          const el = f.set(msg);
          bad = bad || el;
        }
        if (!val || f.own) continue;
        if (f.consent) v.fields.consent = 'accepted';
        else if (f.custom) v.fields[f.key] = f.kind === 'checkbox' ? 'yes' : val;
        else v[f.key] = val;
      }
      if (bad) {
        bad.focus();
        return null;
      }
      visitor = { name: v.name || '', email: v.email || '' };
      if (!Object.keys(v.fields).length) delete v.fields;
      if (Object.keys(context).length) v.context = context;
      return v;
    }
    // refused shows a server refusal: at the field it names ("key: why"),
    // else in err.
    function refused(x, err, text) {
      const at = x.code === 'invalid_input' && /^([\w-]+): /.exec(x.message || '');
      const f = at && inputs.find((i) => i.key === at[1]);
      if (f) f.set(T.errors.invalid_input).focus();
      else err.textContent = text;
    }
    return { kids, check, refused };
  }

  function prechatForm() {
    const err = h('p', { class: 'err', role: 'alert' });
    const { kids, check, refused } = visitorFields();
    const btns = MODES.map((m) =>
      h('button', { type: 'submit', class: 'primary', 'data-m': m, value: m }, m === 'chat' ? T.start : m === 'audio' ? T.callStart : T.videoStart),
    );
    const formEl = h('form', { class: 'form grow', novalidate: true, 'aria-labelledby': 'ic-title' }, h('p', { class: 'intro' }), ...kids, err, h('div', { class: 'starts' }, ...btns));
    formEl.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      const v = check();
      if (!v) return;
      let btn = e.submitter && !e.submitter.hidden ? e.submitter : btns.find((b) => !b.hidden);
      if (!btn) return;
      const mode = btn.value;
      const label = btn.textContent;
      for (const b of btns) b.disabled = true;
      try {
        if (mode !== 'chat') {
          btn.textContent = T.checking;
          call.use(await media(mode));
        }
        btn.textContent = T.starting;
        const g = await api('POST', 'widget/v1/tasks', { widgetKey: ctx.widgetKey, modality: mode, visitor: v, visitorId: visitorId(ctx.contactId) });
        begin(g);
        ctx.emit('chat.started', { taskId: g.taskId, modality: mode });
      } catch (x) {
        call.stop();
        refused(x, err, x.key ? T[x.key] : x.code === 'modality_disabled' && mode !== 'chat' ? T.callsOff : errText(x.code, x.message));
        for (const b of btns) b.disabled = false;
        btn.textContent = label;
        if (x.code === 'closed') ctx.refresh(); // it closed meanwhile: show the closed view
      }
    });
    return formEl;
  }

  // closedForm is what the panel shows out of hours: the next opening in
  // the visitor's own time, and the pre-chat fields with a message to leave.
  function closedForm() {
    if (left) return h('div', { class: 'notice' }, h('p', { class: 'when', dir: 'auto' }), thanks());
    const err = h('p', { class: 'err', role: 'alert' });
    const { kids, check, refused } = visitorFields();
    const text = field(null, 'leave', [T.message, h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')], '', '', 0, true,
      h('textarea', { name: 'leave', rows: '4', maxlength: '4000', dir: 'auto', 'aria-describedby': 'ic-e-leave' }));
    const btn = h('button', { type: 'submit', class: 'primary' }, T.leaveSend);
    const formEl = h('form', { class: 'form grow', novalidate: true, 'aria-labelledby': 'ic-title' },
      h('p', { class: 'when', dir: 'auto' }), h('p', {}, T.closedIntro), ...kids, text.label, err, btn);
    formEl.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      const v = check([{ kind: 'text', req: true, own: true, ...text }]);
      if (!v) return;
      btn.disabled = true;
      try {
        const r = await api('POST', 'widget/v1/leave-message', { widgetKey: ctx.widgetKey, visitor: v, text: text.input.value, visitorId: visitorId(ctx.contactId) });
        left = true;
        const ok = thanks();
        formEl.replaceWith(h('div', { class: 'notice' }, ok));
        ok.focus();
        ctx.emit('message.left', { taskId: r.taskId });
      } catch (x) {
        refused(x, err, errText(x.code, x.message));
        btn.disabled = false;
        if (x.code === 'conflict') ctx.refresh(); // open again: show the pre-chat form
      }
    });
    return formEl;
  }

  function thanks() {
    return h('p', { class: 'thanks', role: 'status', tabindex: '-1' }, T.leaveThanks);
  }

  // opensText says when the service opens again, in the visitor's own time
  // zone and language ("" when that cannot be foreseen).
  function opensText() {
    const at = ctx.cfg && ctx.cfg.opensAt;
    return at ? fmt(T.opensAt, { when: whenFmt.format(new Date(at)) }) : '';
  }

  // field is a labelled input (or the given control) with its inline error.
  function field(type, key, label, value, autocomplete, max, req, control) {
    const id = 'ic-e-' + key;
    const input = control || h('input', { type, name: key, autocomplete, dir: 'auto', 'aria-describedby': id, maxlength: String(max) });
    if (!control) input.value = value || '';
    if (req) {
      input.required = true;
      input.setAttribute('aria-required', 'true');
    }
    const e = h('span', { class: 'err', id });
    return { input, label: h('label', {}, h('span', {}, ...label), input, e), set: setter(input, e) };
  }

  function checkField(key, text, req) {
    const id = 'ic-e-' + key;
    const input = h('input', { type: 'checkbox', name: key, 'aria-describedby': id });
    if (req) input.setAttribute('aria-required', 'true');
    const e = h('span', { class: 'err', id });
    const label = h('div', {}, h('label', { class: 'check' }, input, h('span', { dir: 'auto' }, text, req ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null)), e);
    return { input, label, set: setter(input, e) };
  }

  function setter(input, e) {
    return (msg) => {
      e.textContent = msg;
      if (msg) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      return input;
    };
  }

  function chatControls() {
    composer = h('textarea', { rows: '1', maxlength: '4000', placeholder: T.placeholder, 'aria-label': T.message, dir: 'auto', name: 'draft' });
    composer.value = tabGet(DRAFT) || '';
    const form = h('form', { class: 'composer' }, composer, h('button', { type: 'submit', class: 'primary' }, T.send));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      sendText(composer.value);
      composer.value = '';
      tabSet(DRAFT, '');
      grow();
      composer.focus();
    });
    composer.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });

    composer.addEventListener('input', () => {
      tabSet(DRAFT, composer.value);
      grow();
      if (!composer.value.trim()) return stopTyping(); // a blank draft (or the line break of a send) is no typing
      if (!typingOn && sendFrame('typing', { on: true })) typingOn = true;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(stopTyping, 3000);
    });
    const esc = ['audio', 'video'].map((m) => {
      const b = h('button', { type: 'button', class: 'link esc', 'data-m': m, hidden: true }, m === 'audio' ? T.callStart : T.videoStart);
      b.addEventListener('click', () => escalate(m, b));
      return b;
    });
    const end = h('button', { type: 'button', class: 'link end' }, T.end);
    end.addEventListener('click', () => {
      if (!sendFrame('task.end', {})) return;
      end.disabled = true;
    });
    return h('div', {}, form, h('div', { class: 'actions' }, ...esc, end));
  }

  // grow fits the composer to its text, up to its CSS max-height (CSSOM
  // styles need no CSP allowance).
  function grow() {
    composer.style.height = '';
    if (composer.scrollHeight > composer.clientHeight) composer.style.height = composer.scrollHeight + 2 + 'px';
  }

  function endedControls() {
    const dl = h('button', { type: 'button', class: 'link dl' }, T.download);
    dl.addEventListener('click', download);
    const again = h('button', { type: 'button', class: 'link new' }, T.newChat);
    again.addEventListener('click', () => {
      reset();
      focusFirst();
    });
    // The status line (or the service's ended message) says the chat ended.
    return h('div', {}, leave ? h('div', { class: 'notice' }, leaveForm()) : null, rateBox(), h('div', { class: 'actions' }, dl, again));
  }

  // rateBox asks for a rating of a conversation an agent took part in, or
  // says what the visitor gave.
  function rateBox() {
    const texts = { T, fmt, h };
    if (rated) return ratedNote(texts, rated, false);
    if (leave || !(ctx.cfg && ctx.cfg.ratings) || !RATEABLE.includes(outcome)) return null;
    const id = task.taskId;
    const form = ratingForm({
      ...texts,
      errText,
      send: (body) => authed((tok) => api('POST', 'widget/v1/tasks/' + encodeURIComponent(id) + '/rating', body, tok)),
      done(n) {
        rated = n;
        save();
        const note = ratedNote(texts, n, true);
        form.replaceWith(note);
        note.focus();
        ctx.emit('chat.rated', { taskId: id, stars: n });
      },
    });
    return form;
  }

  function leaveForm() {
    const ta = h('textarea', { rows: '4', maxlength: '4000', 'aria-label': T.message, dir: 'auto', class: 'leave-text' });
    const err = h('p', { class: 'err', role: 'alert' });
    const btn = h('button', { type: 'submit', class: 'primary' }, T.leaveSend);
    const form = h('form', { class: 'form leave' }, h('p', {}, T.leaveIntro), ta, err, btn);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      err.textContent = '';
      if (!ta.value.trim()) {
        err.textContent = T.required;
        return ta.focus();
      }
      btn.disabled = true;
      try {
        await authed((tok) => api('POST', 'widget/v1/tasks/' + encodeURIComponent(task.taskId) + '/leave-message', { text: ta.value }, tok));
        const ok = h('p', { class: 'thanks', role: 'status', tabindex: '-1' }, T.leaveThanks);
        form.replaceWith(ok);
        ok.focus();
        leave = false;
        save();
        ctx.emit('message.left', { taskId: task.taskId });
      } catch (x) {
        err.textContent = errText(x.code, x.message);
        btn.disabled = false;
      }
    });
    return form;
  }

  // ---- messages

  function msgEl(m) {
    const who = m.from === 'visitor' ? 'v' : m.from === 'agent' ? 'a' : 's';
    const el = h('div', { class: 'm ' + who, 'data-seq': m.seq || '' });
    const name = who === 'v' ? T.you : who === 'a' ? m.name || T.anAgent : '';
    if (who === 'a') el.append(h('span', { class: 'who', dir: 'auto', 'aria-hidden': 'true' }, name));
    el.append(h('div', { class: 'b', dir: 'auto' }, name ? h('span', { class: 'sr' }, name + ': ') : null, m.text));
    if (who !== 's') el.append(h('div', { class: 'meta' }, h('time', {}), h('span', { class: 'st' })));
    setTime(el, m.at);
    return el;
  }

  function setTime(el, at) {
    const t = el.querySelector('time');
    if (!t || !at) return;
    t.dateTime = at;
    t.textContent = timeFmt.format(new Date(at));
  }

  // place inserts el in seq order; elements without a seq (unacknowledged
  // messages) stay last.
  function place(el, seq) {
    let ref = null;
    for (let c = log.lastElementChild; c; c = c.previousElementSibling) {
      if ((+c.dataset.seq || Infinity) > seq) ref = c;
      else break;
    }
    const stick = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.insertBefore(el, ref);
    if (stick || !ref) log.scrollTop = log.scrollHeight;
  }

  // line shows a local notice (agent joined, …) after the current messages.
  function line(text) {
    const el = msgEl({ from: 'system', text });
    el.dataset.seq = lastSeq + 0.5;
    el.classList.add('local');
    place(el, lastSeq + 0.5);
  }

  function addMessage(m) {
    if (!(m.seq > 0) || bySeq.has(m.seq)) return;
    lastSeq = Math.max(lastSeq, m.seq);
    if (m.event) {
      // An event of the task's call, for the record: the call panel shows
      // the call itself.
      bySeq.set(m.seq, null);
      save();
      return;
    }
    let el = m.from === 'visitor' && m.clientId ? byClient.get(m.clientId) : null;
    if (el) {
      pending.delete(m.clientId);
      el.remove();
      el.dataset.seq = m.seq;
      setTime(el, m.at);
    } else {
      el = msgEl(m);
      if (m.clientId) byClient.set(m.clientId, el);
    }
    place(el, m.seq);
    bySeq.set(m.seq, el);
    if (m.from === 'agent') {
      showTyping(false);
      if (m.seq > seen && !(isOpen && d.visibilityState === 'visible')) ctx.badge(++unread);
    }
    if (m.seq > seen) ctx.emit('message', { seq: m.seq, from: m.from, name: m.name || '', text: m.text, at: m.at });
    receipts();
    markRead();
    save();
  }

  function receipts() {
    const mine = log.querySelectorAll('.m.v');
    mine.forEach((el, i) => {
      const s = +el.dataset.seq;
      el.querySelector('.st').textContent =
        el.classList.contains('fail') ? T.failed : i < mine.length - 1 ? '' : !s ? T.sending : s <= agentRead ? T.read : T.sent;
    });
  }

  function markRead() {
    if (!isOpen || d.visibilityState !== 'visible') return;
    if (lastSeq > seen) seen = lastSeq;
    if (unread) ctx.badge((unread = 0));
    if (wsReady && lastSeq > sentRead && sendFrame('read', { seq: lastSeq })) sentRead = lastSeq;
  }

  function sendText(text) {
    text = text.trim();
    if (!text || !task || ended) return;
    stopTyping();
    const id = 'c' + Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
    pendingEl(id, text, new Date().toISOString());
    save();
    flush(id);
  }

  function pendingEl(id, text, at) {
    pending.set(id, { text, at: 0 });
    const el = msgEl({ from: 'visitor', text, at });
    byClient.set(id, el);
    place(el, Infinity);
    receipts();
  }

  // flush (re)sends one unacknowledged message, or all that are due.
  function flush(only) {
    const now = Date.now();
    for (const [id, p] of pending) {
      if (only ? id !== only : now - p.at < RESEND_MS) continue;
      if (sendFrame('message.send', { clientId: id, text: p.text }, id)) p.at = now;
    }
  }
  setInterval(() => pending.size && flush(), 1000);

  function ack(x) {
    const el = byClient.get(x.clientId);
    pending.delete(x.clientId);
    if (el && !el.dataset.seq && !bySeq.has(x.seq)) {
      el.remove();
      el.dataset.seq = x.seq;
      bySeq.set(x.seq, el);
      setTime(el, x.at);
      place(el, x.seq);
    }
    receipts();
    save();
  }

  function showTyping(on) {
    clearTimeout(agentTypingTimer);
    typing.textContent = on ? fmt(T.typing, { name: agentName || T.anAgent }) : '';
    if (on) agentTypingTimer = setTimeout(() => showTyping(false), 15000);
  }

  function stopTyping() {
    clearTimeout(typingTimer);
    if (typingOn) sendFrame('typing', { on: false });
    typingOn = false;
  }

  // ---- the task and its socket

  async function api(method, path, body, token) {
    const headers = {};
    if (body) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    let r;
    try {
      r = await fetch(ctx.base + path + '?contactId=' + encodeURIComponent(ctx.contactId), {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw fail(navigator.onLine === false ? 'offline' : 'network');
    }
    if (r.status === 204) return null;
    const b = await r.json().catch(() => null);
    if (!r.ok) throw fail((b && b.error && b.error.code) || 'internal', b && b.error && b.error.message);
    return b;
  }

  function fail(code, message) {
    const e = new Error(message || code);
    e.code = code;
    return e;
  }

  function grant(g) {
    task = task || {};
    task.taskId = g.taskId;
    if (g.resumeToken) task.resumeToken = g.resumeToken;
    task.token = g.token;
    task.exp = Date.parse(g.tokenExpiresAt) || Date.now() + 60000;
    task.wsUrl = g.wsUrl;
    // Refresh halfway through the token's life, and at least a minute
    // before it ends.
    const ttl = task.exp - Date.now();
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, Math.max(1000, Math.min(ttl / 2, ttl - 60000)));
  }

  // begin adopts a new task.
  function begin(g) {
    clearChat();
    grant(g);
    save();
    render();
    connect();
    focusFirst();
    previous();
  }

  // previous shows the browser's previous conversation above this one,
  // where the service shows it (asked once per task).
  async function previous() {
    if (!task || !task.token || prevFor === task.taskId || !(ctx.cfg && ctx.cfg.visitorHistory)) return;
    const id = (prevFor = task.taskId);
    try {
      const p = await authed((tok) => api('GET', 'widget/v1/tasks/' + encodeURIComponent(id) + '/previous', null, tok));
      if (!task || task.taskId !== id) return;
      prev.replaceChildren(previousBox({ T, fmt, h, dateFmt, msgEl }, p));
      prev.hidden = false;
    } catch {
      // none, or not shown here: the chat goes on without it
    }
  }

  async function resume() {
    const g = await api('POST', 'widget/v1/tasks', { widgetKey: ctx.widgetKey, resumeToken: task.resumeToken });
    grant(g);
    return g;
  }

  async function refresh() {
    if (!task) return;
    try {
      grant(await api('POST', 'widget/v1/token', null, task.token));
    } catch {
      try {
        await resume();
      } catch (x) {
        if (x.code === 'not_found') return gone();
        refreshTimer = setTimeout(refresh, 10000);
      }
    }
  }

  // authed runs fn with a visitor token that is still valid.
  async function authed(fn) {
    if (task.exp - Date.now() < 15000) await resume();
    return fn(task.token);
  }

  function connect() {
    clearTimeout(retryTimer);
    if (!task || !task.wsUrl || ended) return;
    const s = new WebSocket(task.wsUrl + '&lastSeq=' + lastSeq);
    ws = s;
    wsReady = false;
    s.onmessage = (e) => {
      if (ws !== s) return;
      let f;
      try {
        f = JSON.parse(e.data);
      } catch {
        return;
      }
      frame(f);
    };
    s.onclose = () => {
      if (ws !== s) return;
      ws = null;
      wsReady = false;
      for (const w of waiting.values()) w.reject(fail('network'));
      waiting.clear();
      if (ended || !task) return;
      banner.hidden = false;
      status();
      retryTimer = setTimeout(reconnect, Math.min(10000, 300 * 2 ** retries++) + Math.random() * 300);
    };
  }

  async function reconnect() {
    if (!task || ended) return;
    if (retries > 2 || task.exp - Date.now() < 30000) {
      try {
        await resume();
      } catch (x) {
        if (x.code === 'not_found') return gone();
      }
    }
    connect();
  }

  function sendFrame(type, data, id) {
    if (!ws || !wsReady) return false;
    ws.send(JSON.stringify({ type, id: id || 'f' + ++frameN, data }));
    return true;
  }

  function frame(f) {
    const x = f.data || {};
    const w = f.id && waiting.get(f.id);
    if (w) {
      waiting.delete(f.id);
      return f.type === 'error' ? w.reject(fail(x.code, x.message)) : w.resolve(x);
    }
    switch (f.type) {
      case 'hello':
        wsReady = true;
        retries = 0;
        banner.hidden = true;
        position = x.position || 0;
        waitSecs = x.estimatedWaitSeconds || 0;
        state({ ...x, leaveMessage: LEAVE.includes(x.outcome) }, true);
        for (const id of pending.keys()) flush(id);
        markRead();
        if (!ended) call.set(x.call || '');
        syncCall();
        break;
      case 'call.state':
        call.set(x.call || '');
        syncCall();
        break;
      case 'rtc.answer':
      case 'rtc.restart':
      case 'rtc.ice':
      case 'call.media':
        call.frame(f);
        break;
      case 'message':
        addMessage(x);
        break;
      case 'message.ack':
        ack(x);
        break;
      case 'typing':
        if (x.from === 'agent') showTyping(!!x.on);
        break;
      case 'read':
        if (x.from === 'agent' && x.seq > agentRead) {
          agentRead = x.seq;
          receipts();
        }
        break;
      case 'task.queue':
        position = x.position || 0;
        waitSecs = x.estimatedWaitSeconds || 0;
        status();
        break;
      case 'task.state':
        state(x, false);
        break;
      case 'error':
        if (pending.has(f.id) && (x.code === 'invalid_input' || x.code === 'payload_too_large')) {
          pending.delete(f.id);
          const el = byClient.get(f.id);
          if (el) el.classList.add('fail');
          receipts();
          save();
        }
        break;
    }
  }

  function state(x, hello) {
    const was = tstate;
    const wasName = agentName;
    tstate = x.state || tstate;
    agentName = x.agentName || (tstate === 'connected' ? agentName : '');
    const wasTransferring = transferring;
    transferring = !!x.transferring;
    if (tstate === 'ended') return finish(x.outcome || '', !!x.leaveMessage, hello, !!x.endedMessage);
    // The server's system messages (per service) tell joins and transfers
    // in the conversation; the status line always shows them.
    if (!hello && tstate === 'connected' && (was !== 'connected' || agentName !== wasName)) ctx.emit('agent.joined', { name: agentName });
    if (!hello && transferring && !wasTransferring) ctx.emit('transferring', {});
    syncCall();
    status();
  }

  function finish(out, canLeave, hello, endedMessage) {
    const first = !ended;
    ended = true;
    outcome = out;
    leave = canLeave;
    if (!hello) said = endedMessage; // a hello (a later page) keeps what the stored state says
    stopTyping();
    showTyping(false);
    call.stop();
    banner.hidden = true;
    clearTimeout(retryTimer);
    if (ws) {
      const s = ws;
      ws = null;
      wsReady = false;
      s.close();
    }
    for (const id of pending.keys()) {
      const el = byClient.get(id);
      if (el) el.classList.add('fail');
    }
    pending.clear();
    receipts();
    view = '';
    save();
    render();
    if (first && !hello) ctx.emit('chat.ended', { taskId: task.taskId, outcome });
    if (hello) history();
  }

  // history shows the messages of a task that ended before this page
  // loaded (its socket is closed at once).
  async function history() {
    try {
      const r = await authed((tok) => api('GET', 'widget/v1/tasks/' + encodeURIComponent(task.taskId) + '/transcript', null, tok));
      for (const m of r.items || []) addMessage(m);
    } catch {
      // the ended view works without the history
    }
  }

  // gone forgets a task the server no longer knows.
  function gone() {
    reset();
  }

  function clearChat() {
    call.stop();
    if (ws) {
      const s = ws;
      ws = null;
      s.close();
    }
    clearTimeout(retryTimer);
    clearTimeout(refreshTimer);
    wsReady = ended = leave = said = transferring = false;
    lastSeq = seen = sentRead = agentRead = unread = position = waitSecs = 0;
    tstate = agentName = outcome = '';
    rated = 0;
    pending.clear();
    bySeq.clear();
    byClient.clear();
    log.replaceChildren();
    prev.replaceChildren();
    prev.hidden = true;
    prevFor = '';
    typing.textContent = '';
    banner.hidden = true;
    ctx.badge(0);
    view = '';
  }

  // reset forgets the task (ended, or unknown to the server) and shows the
  // start of a new chat.
  function reset() {
    clearChat();
    task = null;
    save();
    render();
  }

  // ---- persistence and tabs

  function save() {
    try {
      if (!task) {
        tabSet(PENDING, '');
        tabSet(DRAFT, '');
        return localStorage.removeItem(KEY);
      }
      localStorage.setItem(
        KEY,
        JSON.stringify({
          taskId: task.taskId,
          resumeToken: task.resumeToken,
          lastSeq,
          seen,
          open: isOpen,
          ended,
          leave,
          said,
          outcome,
          rated,
        }),
      );
      tabSet(PENDING, pending.size ? JSON.stringify([...pending].map(([id, p]) => [id, p.text])) : '');
    } catch {
      // storage full or blocked: the chat still works in this page
    }
  }

  // restore picks up a stored task: a fresh page replays every message
  // (lastSeq 0) to rebuild the conversation, then resends what was not
  // acknowledged.
  async function restore(st) {
    clearChat();
    task = { taskId: st.taskId, resumeToken: st.resumeToken };
    seen = st.seen || 0;
    if (st.ended) {
      ended = true;
      leave = !!st.leave;
      said = !!st.said;
      outcome = st.outcome || '';
      rated = st.rated || 0;
    }
    let mine = [];
    try {
      mine = JSON.parse(tabGet(PENDING) || '[]');
    } catch {}
    for (const [id, text] of mine) pendingEl(id, text, '');
    render();
    try {
      await resume();
    } catch (x) {
      if (x.code === 'not_found' || x.code === 'invalid_input') return gone();
      if (ended) return;
      banner.hidden = false;
      retryTimer = setTimeout(reconnect, 2000);
      return;
    }
    if (ended) history();
    else connect();
    previous();
  }

  addEventListener('storage', (e) => {
    if (e.key !== KEY) return;
    const st = readStore(KEY);
    if (!st) {
      if (task && ended) reset(); // another tab started over
      return;
    }
    if (!task || st.taskId !== task.taskId) return restore(st).then(() => st.open && open(false));
    // Another tab opened or closed the panel.
    let was = null;
    try {
      was = JSON.parse(e.oldValue || 'null');
    } catch {}
    if (was && was.open !== st.open) st.open ? open(false) : close(false);
  });
  d.addEventListener('visibilitychange', markRead);
  addEventListener('online', () => {
    if (task && !ws && !ended) reconnect();
  });

  // tabGet and tabSet keep this tab's own state (sessionStorage: per tab,
  // kept across reloads and the site's pages in that tab).
  function tabGet(k) {
    try {
      return sessionStorage.getItem(k);
    } catch {
      return null;
    }
  }
  function tabSet(k, v) {
    try {
      if (v) sessionStorage.setItem(k, v);
      else sessionStorage.removeItem(k);
    } catch {
      // blocked storage: the draft lives in the page only
    }
  }

  // ---- download

  async function download() {
    try {
      const r = await authed((tok) => api('GET', 'widget/v1/tasks/' + encodeURIComponent(task.taskId) + '/transcript', null, tok));
      const lines = [T.transcript + ' — ' + title.textContent, ''];
      for (const m of r.items || []) {
        const who = m.from === 'visitor' ? m.name || T.you : m.from === 'agent' ? m.name || T.anAgent : '—';
        lines.push('[' + dateFmt.format(new Date(m.at)) + '] ' + who + ': ' + m.text);
      }
      const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/plain;charset=utf-8' }));
      const a = h('a', { href: url, download: 'chat-' + task.taskId + '.txt', hidden: true });
      root.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (x) {
      line(errText(x.code, x.message));
    }
  }

  // ---- opening and closing

  function focusFirst() {
    if (!isOpen) return;
    const el =
      composer ||
      bottom.querySelector('[aria-invalid=true]') ||
      bottom.querySelector('input:not([type=checkbox])') ||
      bottom.querySelector('textarea, button') ||
      closeBtn;
    el.focus();
  }

  function open(focus) {
    if (!isOpen) {
      isOpen = true;
      panel.hidden = false;
      launcher.setAttribute('aria-expanded', 'true');
      render();
      save();
      markRead();
      log.scrollTop = log.scrollHeight;
      ctx.emit('open');
    }
    if (focus !== false) focusFirst();
  }

  function close(toLauncher) {
    if (!isOpen) return;
    isOpen = false;
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    stopTyping();
    save();
    if (toLauncher) launcher.focus();
    ctx.emit('close');
  }

  ctx.onConfig = () => {
    if (!configChanged()) render();
    previous();
  };
  formSig = formSigOf();

  const st = readStore(KEY);
  if (st && st.resumeToken) {
    restore(st);
    if (st.open) open(false);
  } else render();

  return {
    open: () => open(true),
    close: () => close(false),
    toggle: () => (isOpen ? close(true) : open(true)),
    // setContext gives the agent page data with the next chat (string values).
    setContext(obj) {
      context = {};
      for (const [k, v] of Object.entries(obj || {}).slice(0, 20)) context[String(k).slice(0, 40)] = String(v).slice(0, 1000);
    },
    // identify fills in the pre-chat form.
    identify(who) {
      visitor = { name: String((who && who.name) || ''), email: String((who && who.email) || '') };
      for (const k of ['name', 'email']) {
        const el = bottom.querySelector('input[name=' + k + ']');
        if (el && !el.value) el.value = visitor[k];
      }
    },
  };
}

// h creates an element. Children are nodes or strings; strings become Text
// nodes, so data is never parsed as HTML.
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const k in props) {
    const v = props[k];
    if (v === false || v == null) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids) if (c != null) el.append(c);
  return el;
}

function xIcon() {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const p = document.createElementNS(NS, 'path');
  p.setAttribute('d', 'M6 6l12 12M18 6L6 18');
  p.setAttribute('fill', 'none');
  svg.append(p);
  return svg;
}
