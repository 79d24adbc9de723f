// A build: its stage graph, each stage's timings, errors, image digest and artifacts, the log streamed live (and
// resumed after a reconnect), its publications and notifications, and cancel and retry for keys that may.

import { api, download, session } from '../api.js';
import { h, clear, fill, badge, duration, elapsed, time, bytes, facts, announce, shortId } from '../dom.js';
import { renderDag } from '../dag.js';
import { follow } from '../sse.js';
import { logPanel } from './log.js';
import { publicationsPanel } from './publications.js';
import { notificationsPanel } from './notifications.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const STORES_ARTIFACTS = new Set(['artifacts', 'oci', 'docker']);

export async function buildView(root, { params: [id] }) {
  const heading = h('h1', { tabindex: -1, text: `Build ${shortId(id)}` });
  root.append(heading);
  let build = await api(`/api/v1/builds/${id}`);
  let selected = null;

  const summary = h('div', { class: 'build-summary' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Build actions' });
  const message = h('p', { class: 'error', role: 'alert', hidden: true });
  const dagBox = h('div', { class: 'dag-wrap' });
  const stagesBox = h('div', { class: 'stages' });
  const log = logPanel();
  const publications = publicationsPanel(id);
  const notifications = notificationsPanel(id);
  root.append(summary, actions, message,
    h('section', { 'aria-labelledby': 'graph-title' }, h('h2', { id: 'graph-title', text: 'Stage graph' }),
      h('p', { class: 'hint', text: 'Select a stage to see its details and only its log.' }), dagBox),
    h('section', { 'aria-labelledby': 'log-title' }, log.element),
    h('section', { 'aria-labelledby': 'stages-title' }, h('h2', { id: 'stages-title', text: 'Stages' }), stagesBox),
    publications.element, notifications.element);

  const select = name => {
    selected = selected === name ? null : name;
    log.filter(selected);
    render();
    if (selected) document.getElementById(`stage-${selected}`)?.scrollIntoView({ block: 'nearest' });
  };

  function render() {
    keepFocus(() => {
      renderSummary(summary, build);
      renderActions();
      fill(dagBox, renderDag(build.stages, { selected, onSelect: select }));
      fill(stagesBox, build.stages.filter(s => !selected || s.name === selected).map(stageCard));
    });
  }

  function renderActions() {
    clear(actions);
    if (!session.can('builds:write')) return;
    if (!TERMINAL.has(build.status) && !build.cancelRequested)
      actions.append(h('button', { type: 'button', class: 'danger', dataset: { focusKey: 'cancel' }, onclick: () => act('cancel', 'Cancel requested'), text: 'Cancel build' }));
    if (build.status === 'failed' || build.status === 'cancelled')
      actions.append(h('button', { type: 'button', dataset: { focusKey: 'retry' }, onclick: () => act('retry', 'Retry started'), text: 'Retry failed stages' }));
  }

  async function act(action, done) {
    message.hidden = true;
    try {
      build = await api(`/api/v1/builds/${id}/${action}`, { method: 'POST' });
      announce(done);
      if (action === 'retry') startLog();
      render();
    } catch (err) {
      message.textContent = err.message;
      message.hidden = false;
    }
  }

  function stageCard(stage) {
    const output = [stage.output.type, ...(stage.output.tags ?? [])].join(' ') + (stage.output.push ? ' (pushed)' : '');
    const card = h('article', { class: `stage-card status-border-${stage.status}`, id: `stage-${stage.name}`, 'aria-labelledby': `stage-title-${stage.name}` },
      h('h3', { id: `stage-title-${stage.name}` }, h('span', { class: 'mono', text: stage.name }), ' ', badge(stage.status)),
      stage.error ? h('pre', { class: 'error-text', text: stage.error }) : null,
      facts([
        ['Target', stage.target],
        ['Platforms', stage.platforms?.join(', ')],
        ['Matrix', stage.matrix ? `${stage.matrix.stage}: ${Object.entries(stage.matrix.values).map(([k, v]) => `${k}=${v}`).join(', ')}` : null],
        ['Needs', [...(stage.needs ?? []), ...(stage.inputs ?? []).map(i => `${i.stage} → ${i.path}`)].join(', ')],
        ['Output', output],
        ['Image digest', stage.imageDigest ? h('code', { class: 'digest', text: stage.imageDigest }) : null],
        ['Run', stage.run ? `${stage.run.image}${stage.run.exitCode != null ? `, exit code ${stage.run.exitCode}` : ''}${stage.run.runtimeUsed ? ` (${stage.run.runtimeUsed})` : ''}` : null],
        ['Builder', stage.builder],
        ['Attempts', stage.attempts > 1 ? String(stage.attempts) : null],
        ['Queued', time(stage.queuedAt)],
        ['Started', time(stage.startedAt)],
        ['Finished', time(stage.finishedAt)],
        ['Duration', duration(stage.durationSeconds ?? (stage.status === 'running' ? elapsed(stage.startedAt) : null))],
        ['Cache', stage.cacheUse ? `${stage.cacheUse.cached}/${stage.cacheUse.steps} steps cached` : null],
      ]),
      artifacts(stage));
    return card;
  }

  // the file itself, never a redirect to the object store: this page may fetch from its own origin only
  function direct(href) {
    const url = new URL(href, location.origin);
    url.searchParams.set('redirect', 'false');
    return url.pathname + url.search;
  }

  function artifacts(stage) {
    if (!STORES_ARTIFACTS.has(stage.output.type)) return null;
    const list = stage.artifacts ?? [];
    if (list.length === 0) return stage.status === 'succeeded' ? h('p', { class: 'hint', text: 'No files.' }) : null;
    const save = (href, name) => async () => {
      try { await download(href, name); announce(`Downloading ${name}`); } catch (err) { message.textContent = err.message; message.hidden = false; }
    };
    const archive = format => h('button', {
      type: 'button', class: 'secondary', dataset: { focusKey: `archive-${stage.name}-${format}` },
      onclick: save(`/api/v1/builds/${id}/artifacts/${encodeURIComponent(stage.name)}?format=${format}`, `${id}-${stage.name}.${format}`),
      text: `Download all (${format})`, 'aria-label': `Download all artifacts of ${stage.name} as ${format}`,
    });
    return h('div', { class: 'artifacts' },
      h('div', { class: 'table-wrap' }, h('table', {},
        h('caption', { text: `Artifacts of ${stage.name}` }),
        h('thead', {}, h('tr', {}, ['File', 'Size', 'SHA-256', ''].map(c => h('th', { scope: 'col', text: c })))),
        h('tbody', {}, list.map(a => h('tr', {},
          h('td', { class: 'mono wrap', 'data-label': 'File', text: a.path + (a.platform ? ` (${a.platform})` : '') }),
          h('td', { 'data-label': 'Size', text: bytes(a.size) }),
          h('td', { 'data-label': 'SHA-256', class: 'mono' }, h('span', { title: a.sha256, text: `${a.sha256.slice(0, 10)}…` })),
          h('td', {}, h('button', {
            type: 'button', class: 'secondary', dataset: { focusKey: `file-${stage.name}-${a.path}` }, onclick: save(direct(a.href), a.path.split('/').pop()),
            text: 'Download', 'aria-label': `Download ${a.path} from ${stage.name}`,
          }))))))),
      stage.status === 'succeeded' ? h('div', { class: 'actions' }, archive('zip'), archive('tar.gz')) : null);
  }

  // one load at a time; an event that arrives during one asks for another after it, so the last state is always shown
  let refreshing = null, again = false, timer = null, stream = null;
  function refresh() {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async () => {
      do {
        again = false;
        try {
          build = await api(`/api/v1/builds/${id}`);
          render();
          if (TERMINAL.has(build.status)) { publications.load(build); notifications.load(); }
        } catch (err) {
          message.textContent = err.message;
          message.hidden = false;
        }
      } while (again);
      refreshing = null;
    })();
    return refreshing;
  }

  // a refresh in flight when the page is left must not schedule another: the page it would fill is gone
  let left = false;
  function poll() {
    clearTimeout(timer);
    if (!left && !TERMINAL.has(build.status)) timer = setTimeout(() => refresh().then(poll), 4000);
  }

  function startLog() {
    stream?.stop();
    log.reset();
    stream = follow(`/api/v1/builds/${id}/logs`, {
      onEvent(name, payload) {
        log.add(name, payload);
        if (name === 'stage' || name === 'end') refresh().then(poll);
      },
      onState: state => log.state(state),
      onError: err => log.state(`stopped: ${err.message}`),
    });
    log.control(stream);
    poll();
  }

  render();
  publications.load(build);
  notifications.load();
  startLog();
  return () => { left = true; stream?.stop(); clearTimeout(timer); };
}

function renderSummary(summary, build) {
  const s = build.source;
  fill(summary,
    h('p', { class: 'build-status' }, badge(build.status), build.cancelRequested && !TERMINAL.has(build.status) ? ' (cancel requested)' : ''),
    facts([
      ['Id', h('code', { text: build.id })],
      ['Source', s.kind === 'git' ? [s.gitUrl, s.gitRef].filter(Boolean).join(' @ ') : s.kind === 'upload' ? `uploaded context (${bytes(s.contextSize)})` : 'inline files'],
      ['Commit', s.gitCommit ? h('code', { text: s.gitCommit }) : null],
      ['Dockerfile', build.dockerfile],
      ['Created', time(build.createdAt)],
      ['Started', time(build.startedAt)],
      ['Finished', time(build.finishedAt)],
      ['Duration', duration(elapsed(build.startedAt, build.finishedAt))],
      ['Attempt', build.attempt > 1 ? String(build.attempt) : null],
      ['Pinned', build.pinned ? 'yes: retention keeps it' : null],
      ['Log', build.logTruncated ? 'truncated at the size limit' : null],
      ['Reproducible', build.reproducible === true ? 'yes' : build.reproducible === false ? 'no' : null],
    ]));
}

/** Re-renders without losing the keyboard's place: the focused control is found again by its focus key or stage. */
function keepFocus(draw) {
  const active = document.activeElement;
  const key = active?.dataset?.focusKey ?? (active?.dataset?.stage ? `stage:${active.dataset.stage}` : null);
  draw();
  if (!key) return;
  const again = key.startsWith('stage:')
    ? document.querySelector(`.dag-node[data-stage="${CSS.escape(key.slice(6))}"]`)
    : document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  again?.focus({ preventScroll: true });
}
