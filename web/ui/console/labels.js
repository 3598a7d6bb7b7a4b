// The codes-and-tags editor of one session: the service's codes (its OU's
// and those above) as checkboxes, free tags as one comma-separated field,
// and Save. Enter in the tags field saves too.
import {h, fill} from './dom.js';
import {texts as T} from './texts.js';

const codeLists = new Map(); // serviceId → Promise of [{id, name, ouName}]

function serviceCodes(api, serviceId) {
  if (!serviceId) return Promise.resolve([]);
  if (!codeLists.has(serviceId)) {
    const p = api('GET', '/api/v1/me/services/' + encodeURIComponent(serviceId) + '/codes').then(r => r.items || []);
    p.catch(() => codeLists.delete(serviceId));
    codeLists.set(serviceId, p);
  }
  return codeLists.get(serviceId);
}

// labelEditor builds the editor. load() and save({codeIds, tags}) return
// promises of {codeIds, codes, tags}; onSaved gets what was stored.
export function labelEditor({api, serviceId, idPrefix, load, save, onSaved}) {
  const codesBox = h('div', {class: 'code-list'}, h('span', {class: 'hint', text: T.loading}));
  const tagsId = idPrefix + '-tags';
  const tags = h('input', {id: tagsId, class: 'tags-input', maxlength: 900, autocomplete: 'off', placeholder: T.tagsHint});
  const status = h('span', {class: 'label-status', role: 'status'});
  const btn = h('button', {type: 'submit', class: 'save-labels', text: T.saveLabels});
  let known = []; // code ids shown, including attached ones no longer offered
  const form = h('form', {class: 'labels', 'aria-label': T.labels, onsubmit: async e => {
    e.preventDefault();
    const codeIds = known.filter(id => {
      const box = form.querySelector('input[data-code="' + CSS.escape(id) + '"]');
      return box && box.checked;
    });
    const tagList = tags.value.split(',').map(t => t.trim()).filter(Boolean);
    btn.disabled = true;
    status.textContent = T.saving;
    status.className = 'label-status';
    try {
      const l = await save({codeIds, tags: tagList});
      tags.value = (l.tags || []).join(', ');
      status.textContent = T.saved;
      if (onSaved) onSaved(l);
    } catch (x) {
      status.textContent = (x && x.message) || T.notSaved;
      status.className = 'label-status error';
    }
    btn.disabled = false;
  }},
  h('fieldset', null, h('legend', {text: T.codes}), codesBox),
  h('label', {for: tagsId, text: T.tags}), tags,
  h('div', {class: 'actions'}, btn, status));

  Promise.all([serviceCodes(api, serviceId), load()]).then(([codes, cur]) => {
    cur = cur || {codeIds: [], codes: [], tags: []};
    const boxes = codes.map(c => ({id: c.id, name: c.name, title: c.ouName}));
    (cur.codeIds || []).forEach((id, i) => {
      if (!boxes.some(b => b.id === id)) boxes.push({id, name: cur.codes[i], title: ''});
    });
    known = boxes.map(b => b.id);
    fill(codesBox, boxes.length ? boxes.map(b => {
      const id = idPrefix + '-code-' + b.id;
      return h('span', {class: 'code'},
        h('input', {type: 'checkbox', id, 'data-code': b.id, checked: (cur.codeIds || []).includes(b.id)}),
        h('label', {for: id, text: b.name, title: b.title || null}));
    }) : h('span', {class: 'hint', text: T.noCodes}));
    tags.value = (cur.tags || []).join(', ');
  }).catch(x => {
    fill(codesBox, h('span', {class: 'hint error', text: (x && x.message) || T.notSaved}));
  });
  return form;
}

// labelText is a session's codes and tags as one line.
export function labelText(s) {
  const parts = [...(s.codes || []), ...(s.tags || []).map(t => '#' + t)];
  return parts.join(', ');
}
