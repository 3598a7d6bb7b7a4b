// DOM helpers. Every text goes in through textContent or an attribute:
// nothing here parses HTML.

// h creates an element. props: class, text, on<event> (listeners), the
// properties value/checked/disabled/hidden, and any other attribute.
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'hidden') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, kids);
  return el;
}

function add(el, kids) {
  for (const k of kids) {
    if (k == null || k === false) continue;
    if (Array.isArray(k)) add(el, k);
    else el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

// fill replaces an element's children.
export function fill(el, ...kids) {
  el.replaceChildren();
  add(el, kids);
  return el;
}

// clock formats a number of seconds as m:ss (or h:mm:ss).
export function clock(secs) {
  secs = Math.max(0, Math.round(secs));
  const h = Math.floor(secs / 3600), m = Math.floor(secs / 60) % 60, s = secs % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return (h ? h + ':' : '') + mm + ':' + String(s).padStart(2, '0');
}

// timeOf formats a timestamp as the local time of day (and date, if not today).
export function timeOf(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  const t = d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
  return today ? t : d.toLocaleDateString([], {month: 'short', day: 'numeric'}) + ' ' + t;
}

// id returns a new client id for a message (unique enough per agent).
let n = 0;
export function newClientId() {
  return 'c-' + Date.now().toString(36) + '-' + (++n).toString(36) + '-' + Math.random().toString(36).slice(2, 8);
}
