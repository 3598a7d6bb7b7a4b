// The rating prompt of an ended conversation: 1 to 5 stars (real radio
// buttons, each with its own label, so the arrow keys choose and screen
// readers say "3 of 5 stars") and an optional comment, sent once with
// POST /widget/v1/tasks/{id}/rating. The comment is the visitor's own text;
// like every text of the widget it is set as text, never as HTML.

// Outcomes of conversations an agent took part in: those may be rated.
export const RATEABLE = ['handled', 'transferred', 'abandoned', 'transfer_failed'];

const MAX_COMMENT = 1000;

// ratingForm returns the prompt. send(body) posts the rating and resolves
// with the stored rating; done(stars) runs once it is stored; errText
// explains a refusal code.
export function ratingForm({ T, fmt, h, send, done, errText }) {
  const stars = [];
  const group = h('fieldset', { class: 'stars' }, h('legend', {}, T.rateStars));
  for (let n = 1; n <= 5; n++) {
    const id = 'ic-star-' + n;
    const input = h('input', { type: 'radio', name: 'stars', value: String(n), id, class: 'star-in' });
    const label = h('label', { for: id, class: 'star', title: fmt(T.rateStar, { n }) },
      h('span', { 'aria-hidden': 'true' }, '☆'), h('span', { class: 'sr' }, fmt(T.rateStar, { n })));
    stars.push(label);
    input.addEventListener('change', paint);
    group.append(input, label);
  }
  const comment = h('textarea', { name: 'comment', rows: '3', maxlength: String(MAX_COMMENT), dir: 'auto' });
  const err = h('p', { class: 'err', role: 'alert' });
  const btn = h('button', { type: 'submit', class: 'primary' }, T.rateSend);
  const form = h('form', { class: 'form rating', novalidate: true, 'aria-labelledby': 'ic-rate-h' },
    h('h3', { id: 'ic-rate-h' }, T.rateTitle), group,
    h('label', {}, h('span', {}, T.rateComment, ' ', T.optional), comment), err, btn);

  function chosen() {
    const c = form.querySelector('input[name=stars]:checked');
    return c ? +c.value : 0;
  }
  function paint() {
    const n = chosen();
    stars.forEach((s, i) => {
      s.classList.toggle('on', i < n);
      s.firstChild.textContent = i < n ? '★' : '☆';
    });
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    const n = chosen();
    if (!n) {
      err.textContent = T.rateChoose;
      return form.querySelector('input[name=stars]').focus();
    }
    btn.disabled = true;
    try {
      const r = await send({ stars: n, comment: comment.value.slice(0, MAX_COMMENT) });
      done((r && r.stars) || n);
    } catch (x) {
      err.textContent = errText(x.code, x.message);
      btn.disabled = false;
    }
  });
  return form;
}

// ratedNote says what the visitor gave, after the rating is stored.
export function ratedNote({ T, fmt, h }, stars, fresh) {
  return h('p', { class: 'thanks rated', role: 'status', tabindex: '-1' }, fresh ? T.rateThanks + ' ' : '', fmt(T.rateYours, { n: stars }));
}
