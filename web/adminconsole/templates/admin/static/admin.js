// interact admin console: progressive enhancements only; every form works
// without this script. Runs under script-src 'self' (no inline code).
(function () {
  'use strict';
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || '';

  async function postJSON(url, body) {
    const r = await fetch(url, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
      body: JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((data.error && data.error.message) || ('HTTP ' + r.status));
    return data;
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Copy buttons: data-copy names the element whose value is copied.
  document.querySelectorAll('[data-copy]').forEach(btn => {
    btn.addEventListener('click', async () => {
      const src = document.getElementById(btn.dataset.copy);
      if (!src) return;
      const text = src.value !== undefined ? src.value : src.textContent;
      const status = btn.parentElement.querySelector('[role="status"]');
      let ok = false;
      try {
        await navigator.clipboard.writeText(text);
        ok = true;
      } catch (e) {
        src.focus();
        if (src.select) src.select();
        try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
      }
      btn.dataset.copied = ok ? 'yes' : 'no';
      if (status) status.textContent = ok ? 'Copied to the clipboard.' : 'Could not copy: select the text and copy it yourself.';
    });
  });

  // Interact tab: Restrict Access needs a selected domain template.
  const form = document.getElementById('interact-form');
  if (form) {
    const ra = form.querySelector('#f-ra');
    const why = form.querySelector('#f-ra-why');
    const base = why ? why.textContent : '';
    const picked = () => form.querySelectorAll('input[name="template"]:checked').length > 0;
    const update = () => {
      if (!ra || !why) return;
      if (ra.checked && !picked()) {
        why.textContent = 'Select at least one Domain Template before switching Restrict Access on.';
        why.classList.add('error');
      } else {
        why.textContent = base;
        why.classList.remove('error');
      }
      ra.setAttribute('aria-invalid', ra.checked && !picked() ? 'true' : 'false');
    };
    form.addEventListener('change', update);
    form.addEventListener('submit', e => {
      if (ra && ra.checked && !picked()) {
        e.preventDefault();
        update();
        ra.focus();
      }
    });
  }

  // Domain template editor: live validation of each entry.
  document.querySelectorAll('textarea.origins-editor').forEach(ta => {
    const out = document.getElementById(ta.getAttribute('aria-describedby').split(' ').pop());
    let timer = 0, seq = 0;
    const check = async () => {
      const lines = ta.value.split('\n').map((l, i) => ({line: i + 1, text: l.trim()})).filter(l => l.text !== '');
      const mine = ++seq;
      if (!lines.length) { out.textContent = ''; ta.removeAttribute('aria-invalid'); return; }
      let res;
      try { res = await postJSON('/admin/api/validate-origins', {origins: lines.map(l => l.text)}); }
      catch (e) { out.textContent = 'Could not check the entries: ' + e.message; return; }
      if (mine !== seq) return;
      out.textContent = '';
      const ul = el('ul', 'entries');
      let bad = 0;
      res.entries.forEach((r, i) => {
        const li = el('li', r.error ? 'error' : 'ok');
        li.textContent = 'Line ' + lines[i].line + ': ' + (r.error ? r.error : 'OK, ' + r.canonical);
        if (r.error) bad++;
        ul.appendChild(li);
      });
      if (bad || res.error) {
        out.appendChild(el('p', 'error', bad ? bad + ' of ' + lines.length + ' entries need fixing.' : res.error));
      } else {
        out.appendChild(el('p', 'ok', 'All ' + lines.length + ' entries are valid.'));
      }
      out.appendChild(ul);
      ta.setAttribute('aria-invalid', bad || res.error ? 'true' : 'false');
    };
    ta.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(check, 250); });
    if (ta.value.trim() !== '') check();
  });

  // Origin tester: asks POST /api/v1/origin-check.
  document.querySelectorAll('form.origin-tester').forEach(f => {
    f.addEventListener('submit', async e => {
      e.preventDefault();
      const sel = f.querySelector('[name="contactId"]');
      const contactId = f.dataset.contactId || (sel && sel.value);
      const origin = f.querySelector('[name="origin"]').value.trim();
      const out = f.querySelector('.tester-result');
      out.textContent = 'Checking…';
      try {
        const r = await postJSON('/api/v1/origin-check', {contactId, origin});
        out.textContent = '';
        if (r.allowed) {
          out.appendChild(el('p', 'ok', r.match
            ? 'Allowed by entry ' + r.match.entry + ' of template “' + r.match.templateName + '”.'
            : 'Allowed (Restrict Access is off: any web page may use the widget).'));
        } else {
          out.appendChild(el('p', 'error', 'Refused: ' + (r.reason ? r.reason.message : 'not allowed') + '.'));
        }
      } catch (err) {
        out.textContent = '';
        out.appendChild(el('p', 'error', err.message));
      }
    });
  });
})();
