// The visitor across visits. visitorId is this browser's random id for a
// contact (localStorage of the page's origin, no cookie), made when the
// visitor first starts a contact — never on a mere page view — and sent
// with each new task. previousBox shows the previous conversation of the
// same browser (GET /widget/v1/tasks/{id}/previous, read with the visitor's
// token), collapsed, its texts set as text.

const ID = /^[A-Za-z0-9_-]{22}$/;

// visitorId returns the contact's visitor id, creating it; undefined when
// storage is blocked (the chat then starts without one).
export function visitorId(contactId) {
  const key = 'interact-visitor:' + contactId; // not under "interact:", the prefix of the task's state
  try {
    let id = localStorage.getItem(key);
    if (!ID.test(id || '')) {
      const bytes = crypto.getRandomValues(new Uint8Array(16)); // 128 bits
      id = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      localStorage.setItem(key, id);
    }
    return id;
  } catch {
    return undefined;
  }
}

// previousBox renders the previous conversation p ({createdAt, items}) as
// a closed disclosure; msgEl draws one message as the log does.
export function previousBox({ T, fmt, h, dateFmt, msgEl }, p) {
  const list = h('div', { class: 'prev-log' });
  for (const m of p.items || []) {
    const el = msgEl(m);
    delete el.dataset.seq;
    list.append(el);
  }
  return h('details', { class: 'prev' }, h('summary', {}, fmt(T.previous, { when: dateFmt.format(new Date(p.createdAt)) })), list);
}
