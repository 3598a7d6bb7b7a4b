// The visitor's earlier conversations in the chat's side panel: those of
// the same browser in the tenant (GET /api/v1/me/tasks/{id}/visits),
// newest first, each with its date, service, outcome, agents and rating,
// and a link to its transcript where the agent may read it; the others are
// listed without one. Linking is by the browser's visitor id only: an
// e-mail address the visitor typed links nothing (it shows as unverified).
import {h, fill} from './dom.js';
import {texts as T, taskOutcomes} from './texts.js';
import {ratingEl} from './rating.js';

// visitsSection returns the side panel's section for task taskId and
// fills it once the list arrives; link(s) makes a session's transcript link.
export function visitsSection(api, taskId, lang, link) {
  const body = h('div', {class: 'visits', 'aria-live': 'polite'}, h('p', {class: 'hint', text: T.loading}));
  const when = new Intl.DateTimeFormat(lang, {dateStyle: 'medium', timeStyle: 'short'});
  api('GET', '/api/v1/me/tasks/' + encodeURIComponent(taskId) + '/visits').then(r => {
    const items = r.items || [];
    if (!items.length) return fill(body, h('p', {class: 'hint', text: T.noEarlier}));
    fill(body, h('ul', {class: 'visit-list'}, items.map(s => h('li', {class: 'visit', 'data-task': s.id},
      h('time', {datetime: s.createdAt, text: when.format(new Date(s.createdAt))}),
      h('span', {class: 'visit-what', text: [s.serviceName || (s.directUserId ? T.directContact : '—'),
        taskOutcomes[s.outcome] || s.outcome, (s.agents || []).join(', ')].filter(Boolean).join(' · ')}),
      ratingEl(s.rating, true),
      s.transcriptReadable ? link(s) : h('span', {class: 'hint', text: T.notReadable})))));
  }).catch(() => fill(body, h('p', {class: 'hint', text: T.noEarlier})));
  return [h('h3', {text: T.earlier}), body];
}
