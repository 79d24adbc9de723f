// A build's publications (each file's destination and outcome), and a form to publish a succeeded build for keys with
// the publish scope.

import { api, session } from '../api.js';
import { h, fill, badge, time } from '../dom.js';

export function publicationsPanel(buildId) {
  const list = h('div', {});
  const form = h('form', { class: 'inline-form', 'aria-label': 'Publish this build', hidden: true },
    h('label', { for: 'publish-target', text: 'Target' }), h('input', { id: 'publish-target', required: true, autocomplete: 'off', placeholder: 'artifactory' }),
    h('label', { class: 'check' }, h('input', { id: 'publish-dry-run', type: 'checkbox' }), ' Dry run (plan only)'),
    h('button', { type: 'submit', text: 'Publish' }));
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const element = h('section', { 'aria-labelledby': 'publications-title' }, h('h2', { id: 'publications-title', text: 'Publications' }), form, error, list);

  form.addEventListener('submit', async e => {
    e.preventDefault();
    error.hidden = true;
    try {
      const result = await api(`/api/v1/builds/${buildId}/publications`, {
        method: 'POST', headers: { 'Idempotency-Key': crypto.randomUUID() },
        json: { target: form.querySelector('#publish-target').value.trim(), dryRun: form.querySelector('#publish-dry-run').checked },
      });
      if (result.dryRun) fill(list, h('p', { class: 'hint', text: 'Dry run: the plan below, nothing published.' }), publication(result));
      else await load();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });

  async function load(build) {
    if (build) form.hidden = !(session.can('publish') && build.status === 'succeeded');
    const items = await api(`/api/v1/builds/${buildId}/publications`);
    fill(list, items.length === 0 ? h('p', { class: 'hint', text: 'Not published.' }) : items.map(publication));
  }

  return { element, load: build => load(build).catch(err => { error.textContent = err.message; error.hidden = false; }) };
}

function publication(p) {
  return h('article', { class: 'publication' },
    h('h3', {}, h('span', { text: `${p.target} ` }), badge(p.status), ' ', time(p.createdAt)),
    p.error ? h('pre', { class: 'error-text', text: p.error }) : null,
    h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'visually-hidden', text: `Files published to ${p.target}` }),
      h('thead', {}, h('tr', {}, ['Stage', 'File', 'Destination', 'Status'].map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, (p.files ?? []).map(f => h('tr', {},
        h('td', { class: 'mono', 'data-label': 'Stage', text: f.stage }),
        h('td', { class: 'mono wrap', 'data-label': 'File', text: f.path }),
        h('td', { class: 'mono wrap', 'data-label': 'Destination', text: f.downloadUri ?? f.destination }),
        h('td', { 'data-label': 'Status' }, badge(f.status), f.error ? ` ${f.error}` : '')))))));
}
