// Triggers (admin keys): the list, one trigger with its delivery log (replay a recorded push), creating and deleting.

import { api } from '../api.js';
import { h, fill, badge, time, shortId, facts, announce } from '../dom.js';

const TEMPLATE = {
  name: 'daedalus', provider: 'github', repositoryUrl: 'https://github.com/your-org/daedalus.git', branches: ['main'],
  secret: '', // a fresh random one each time the form is shown: a secret anyone can read from this file would let anyone forge pushes
  spec: { stages: [{ name: 'linux-x64', target: 'staging', buildArgs: { dotnet_runtime: 'linux-x64' } }] },
};

export async function triggersView(root) {
  root.append(h('h1', { tabindex: -1, text: 'Triggers' }));
  const list = h('div', { class: 'table-wrap' });
  root.append(list, createForm(() => load()));
  async function load() {
    const triggers = await api('/api/v1/triggers');
    fill(list, triggers.length === 0 ? h('p', { class: 'empty', text: 'No triggers.' }) : h('table', {},
      h('caption', { class: 'visually-hidden', text: 'Triggers' }),
      h('thead', {}, h('tr', {}, ['Name', 'Provider', 'Repository', 'Branches', 'Created'].map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, triggers.map(t => h('tr', {},
        h('td', { 'data-label': 'Name' }, h('a', { href: `#/triggers/${t.id}`, text: t.name })),
        h('td', { 'data-label': 'Provider', text: t.provider }),
        h('td', { class: 'mono wrap', 'data-label': 'Repository', text: t.repositoryUrl }),
        h('td', { 'data-label': 'Branches', text: [...t.branches, ...t.tags.map(x => `tag ${x}`)].join(', ') || 'all' }),
        h('td', { 'data-label': 'Created' }, time(t.createdAt)))))));
  }
  await load();
}

function createForm(created) {
  const editor = h('textarea', { id: 'trigger-json', rows: 12, spellcheck: 'false', 'aria-describedby': 'trigger-hint' });
  editor.value = JSON.stringify({ ...TEMPLATE, secret: randomSecret() }, null, 2);
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h('form', { class: 'card' },
    h('h2', { text: 'New trigger' }),
    h('label', { for: 'trigger-json', text: 'Trigger (JSON)' }), editor,
    h('p', { id: 'trigger-hint', class: 'hint', text: 'The secret is write-only: give the provider the same secret and the webhook URL the trigger answers with.' }),
    error, h('button', { type: 'submit', text: 'Create trigger' }));
  form.addEventListener('submit', async e => {
    e.preventDefault();
    error.hidden = true;
    try {
      const trigger = await api('/api/v1/triggers', { method: 'POST', json: JSON.parse(editor.value) });
      announce(`Trigger ${trigger.name} created`);
      created();
      location.hash = `#/triggers/${trigger.id}`;
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  });
  return form;
}

export async function triggerView(root, { params: [id] }) {
  root.append(h('h1', { tabindex: -1, text: `Trigger ${shortId(id)}` }));
  const trigger = await api(`/api/v1/triggers/${id}`);
  root.querySelector('h1').textContent = `Trigger ${trigger.name}`;
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const deliveries = h('div', { class: 'table-wrap' });
  root.append(
    facts([
      ['Provider', trigger.provider],
      ['Repository', trigger.repositoryUrl],
      ['Branches', trigger.branches.join(', ')],
      ['Tags', trigger.tags.join(', ')],
      ['Spec', trigger.specPath ? `read from ${trigger.specPath} at each commit` : h('pre', { class: 'spec', text: JSON.stringify(trigger.spec, null, 2) })],
      ['Secrets', trigger.secrets.join(', ')],
      ['Webhook URL', h('code', { text: new URL(trigger.webhookUrl, location.origin).href })],
      ['Created', time(trigger.createdAt)],
    ]),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', text: 'Delete trigger', onclick: remove })),
    error,
    h('section', { 'aria-labelledby': 'deliveries-title' }, h('h2', { id: 'deliveries-title', text: 'Deliveries' }), deliveries));

  async function remove() {
    try {
      await api(`/api/v1/triggers/${id}`, { method: 'DELETE' });
      announce('Trigger deleted');
      location.hash = '#/triggers';
    } catch (err) { error.textContent = err.message; error.hidden = false; }
  }

  async function replay(delivery) {
    try {
      const answer = await api(`/api/v1/triggers/${id}/deliveries/${delivery}/replay`, { method: 'POST' });
      announce('Delivery replayed');
      if (answer.buildId) location.hash = `#/builds/${answer.buildId}`; else await load();
    } catch (err) { error.textContent = err.message; error.hidden = false; }
  }

  async function load() {
    const items = await api(`/api/v1/triggers/${id}/deliveries`);
    fill(deliveries, items.length === 0 ? h('p', { class: 'empty', text: 'No deliveries yet.' }) : h('table', {},
      h('caption', { class: 'visually-hidden', text: 'Deliveries, newest first' }),
      h('thead', {}, h('tr', {}, ['Received', 'Event', 'Ref', 'Commit', 'Outcome', 'Build', ''].map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, items.map(d => h('tr', {},
        h('td', { 'data-label': 'Received' }, time(d.receivedAt)),
        h('td', { 'data-label': 'Event', text: d.event }),
        h('td', { class: 'mono wrap', 'data-label': 'Ref', text: d.ref ?? '' }),
        h('td', { class: 'mono', 'data-label': 'Commit', text: d.commit ? d.commit.slice(0, 12) : '' }),
        h('td', { 'data-label': 'Outcome' }, badge(d.outcome), d.reason ? ` ${d.reason}` : ''),
        h('td', { 'data-label': 'Build' }, d.buildId ? h('a', { href: `#/builds/${d.buildId}`, text: shortId(d.buildId) }) : '—'),
        h('td', {}, d.commit ? h('button', { type: 'button', class: 'secondary', onclick: () => replay(d.id), text: 'Replay', 'aria-label': `Replay delivery ${d.deliveryKey}` }) : null))))));
  }
  await load();
}

/** 32 random bytes as hex: the webhook secret the template starts with, to be copied into the repository's webhook. */
function randomSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}
