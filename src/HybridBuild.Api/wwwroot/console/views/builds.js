// The builds list: newest first, filtered by status (the API's filter) and source kind, paged, refreshed while
// anything on the page is still queued or running.

import { api } from '../api.js';
import { h, fill, badge, duration, elapsed, time, shortId } from '../dom.js';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const SOURCES = ['git', 'upload', 'inline'];
const PAGE_SIZE = 20;

function select(id, label, values, current) {
  return [h('label', { for: id, text: label }),
    h('select', { id }, h('option', { value: '', text: 'All' }),
      values.map(v => h('option', { value: v, selected: v === current, text: v })))];
}

export async function buildsView(root, { query }) {
  const status = query.get('status') ?? '';
  const source = query.get('source') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const table = h('div', { class: 'table-wrap' });
  const summary = h('p', { class: 'hint', role: 'status' });
  const filters = h('form', { class: 'filters', 'aria-label': 'Filter builds' },
    select('filter-status', 'Status', STATUSES, status), select('filter-source', 'Source', SOURCES, source),
    h('button', { type: 'submit', class: 'secondary', text: 'Apply' }));
  const go = (changes) => {
    const next = new URLSearchParams({ status, source, page: String(page), ...changes });
    for (const [k, v] of [...next]) if (!v || (k === 'page' && v === '1')) next.delete(k);
    location.hash = `#/builds${next.size ? `?${next}` : ''}`;
  };
  filters.addEventListener('submit', e => {
    e.preventDefault();
    go({ status: filters.querySelector('#filter-status').value, source: filters.querySelector('#filter-source').value, page: '1' });
  });
  for (const id of ['#filter-status', '#filter-source']) filters.querySelector(id).addEventListener('change', () => filters.requestSubmit());
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  root.append(h('h1', { tabindex: -1, text: 'Builds' }), filters, summary, table, pager);

  let timer = null;
  async function load() {
    const params = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
    if (status) params.set('status', status);
    const result = await api(`/api/v1/builds?${params}`);
    const items = source ? result.items.filter(b => b.source.kind === source) : result.items;
    fill(table, items.length === 0 ? h('p', { class: 'empty', text: 'No builds here.' }) : render(items));
    summary.textContent = `${result.totalCount} build${result.totalCount === 1 ? '' : 's'}${status ? ` ${status}` : ''}; page ${page}` +
      (source ? ` (showing ${items.length} from a ${source} source)` : '');
    const pages = Math.max(1, Math.ceil(result.totalCount / PAGE_SIZE));
    fill(pager,
      h('button', { type: 'button', class: 'secondary', disabled: page <= 1, onclick: () => go({ page: String(page - 1) }), text: '← Newer' }),
      h('span', { text: `${page} / ${pages}` }),
      h('button', { type: 'button', class: 'secondary', disabled: page >= pages, onclick: () => go({ page: String(page + 1) }), text: 'Older →' }));
    if (!left && result.items.some(b => b.status === 'queued' || b.status === 'running')) timer = setTimeout(load, 3000);
  }
  // a load in flight when the page is left must not schedule another: the page it would fill is gone
  let left = false;
  await load();
  return () => { left = true; clearTimeout(timer); };
}

function sourceText(build) {
  const s = build.source;
  if (s.kind === 'git') return [s.gitUrl, s.gitRef].filter(Boolean).join(' @ ');
  return s.kind === 'upload' ? 'uploaded context' : 'inline files';
}

function render(builds) {
  return h('table', { class: 'builds' },
    h('caption', { class: 'visually-hidden', text: 'Builds, newest first' }),
    h('thead', {}, h('tr', {}, ['Build', 'Status', 'Source', 'Commit', 'Stages', 'Created', 'Duration'].map(c => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, builds.map(b => h('tr', {},
      h('td', { 'data-label': 'Build' }, h('a', { href: `#/builds/${b.id}`, class: 'mono', 'aria-label': `Build ${b.id}`, text: shortId(b.id) })),
      h('td', { 'data-label': 'Status' }, badge(b.status)),
      h('td', { 'data-label': 'Source', class: 'wrap' }, h('span', { class: 'kind', text: b.source.kind }), ' ', sourceText(b)),
      h('td', { 'data-label': 'Commit', class: 'mono', text: b.source.gitCommit ? b.source.gitCommit.slice(0, 12) : '—' }),
      h('td', { 'data-label': 'Stages', text: stagesText(b) }),
      h('td', { 'data-label': 'Created' }, time(b.createdAt)),
      h('td', { 'data-label': 'Duration', text: duration(elapsed(b.startedAt, b.finishedAt)) || '—' })))));
}

function stagesText(build) {
  const done = build.stages.filter(s => s.status === 'succeeded').length;
  return `${done}/${build.stages.length} succeeded`;
}
