// The service's Widget tab: checks the pre-chat and texts forms as they are
// typed (POST /admin/api/validate-widget, the same checks as saving) and
// names the bad field.
(() => {
  const csrf = document.querySelector('meta[name=csrf-token]').content;
  document.querySelectorAll('form.widget-form').forEach((form) => {
    const out = form.querySelector('.live-check');
    let timer = 0;
    let seq = 0;
    const check = async () => {
      const mine = ++seq;
      const body = { kind: form.dataset.check, form: {} };
      for (const [k, v] of new FormData(form)) if (k !== 'csrf') body.form[k] = String(v);
      let res;
      try {
        const r = await fetch('/admin/api/validate-widget', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify(body),
        });
        res = await r.json();
      } catch {
        return;
      }
      if (mine !== seq) return;
      out.textContent = res.error || '';
      out.hidden = !res.error;
      form.querySelector('button[type=submit]').setAttribute('aria-describedby', out.id);
      form.toggleAttribute('data-invalid', !!res.error);
    };
    form.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    });
    form.addEventListener('change', () => {
      clearTimeout(timer);
      timer = setTimeout(check, 50);
    });
  });
})();
