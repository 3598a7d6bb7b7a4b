// A visitor's rating of a session, as My Sessions, the supervisor's recent
// sessions and the visitor's earlier conversations show it: stars drawn as
// text (with their number for screen readers) and the comment, set as text.
import {h} from './dom.js';
import {texts as T} from './texts.js';

// ratingEl shows rating r ({stars, comment}), or a dash when there is none.
export function ratingEl(r, withComment) {
  if (!r || !r.stars) return h('span', {class: 'no-rating', text: '—', title: T.notRated});
  const stars = '★'.repeat(r.stars) + '☆'.repeat(5 - r.stars);
  return h('span', {class: 'rating', 'data-stars': r.stars},
    h('span', {class: 'stars', 'aria-hidden': 'true', title: T.starsOf.replace('{n}', r.stars), text: stars}),
    h('span', {class: 'sr', text: T.starsOf.replace('{n}', r.stars)}),
    withComment && r.comment ? h('q', {class: 'comment', dir: 'auto', text: r.comment}) : null);
}
