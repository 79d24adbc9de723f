// A build's log as it streams: one line per log, step and stage event, each set as text; shown whole or for one
// stage; kept scrolled to the end while the reader is there.

import { h, clear } from '../dom.js';

const MAX_LINES = 20_000;

export function logPanel() {
  const lines = h('div', { class: 'log', id: 'build-log', role: 'log', 'aria-live': 'off', tabindex: 0, 'aria-label': 'Build log' });
  const state = h('span', { class: 'stream-state', id: 'log-state', role: 'status', text: 'connecting' });
  const toggle = h('button', { type: 'button', class: 'secondary', id: 'log-toggle', text: 'Pause' });
  const scope = h('span', { class: 'hint', id: 'log-scope', text: 'all stages' });
  const element = h('div', {},
    h('div', { class: 'log-head' }, h('h2', { id: 'log-title', text: 'Log' }), scope, state, toggle), lines);
  let stage = null, stream = null, count = 0, live = 'connecting';

  const follows = () => lines.scrollHeight - lines.scrollTop - lines.clientHeight < 40;

  function line(stageName, text, kind) {
    const atEnd = follows();
    const row = h('div', { class: `line line-${kind}`, dataset: { stage: stageName ?? '' } },
      stageName ? h('span', { class: 'line-stage', text: `${stageName} ` }) : null, h('span', { class: 'line-text', text }));
    row.hidden = stage !== null && stageName !== stage;
    lines.append(row);
    if (++count > MAX_LINES) { lines.firstChild.remove(); count--; }
    if (atEnd) lines.scrollTop = lines.scrollHeight;
  }

  return {
    element,
    add(name, e) {
      if (name === 'log') line(e.stage, e.text, e.stream === 2 ? 'stderr' : 'out');
      else if (name === 'step') {
        const what = e.error ? `ERROR ${e.error}` : e.cached ? 'CACHED' : e.completed ? 'DONE' : '';
        line(e.stage, `#${e.step} ${e.name}${what ? ` ${what}` : ''}`, e.error ? 'error' : 'step');
      } else if (name === 'stage') line(e.stage, `==> ${e.status}${e.error ? `: ${e.error}` : ''}`, e.status === 'failed' ? 'error' : 'stage');
      else if (name === 'end') line(null, `==> build ${e.status}`, 'stage');
    },
    filter(name) {
      stage = name;
      scope.textContent = name ? `stage ${name}` : 'all stages';
      for (const row of lines.children) row.hidden = name !== null && row.dataset.stage !== name;
      lines.scrollTop = lines.scrollHeight;
    },
    reset() { clear(lines); count = 0; },
    state(value) {
      live = value;
      state.textContent = { live: '● live', reconnecting: 'reconnecting…', paused: 'paused', ended: 'complete', stopped: 'stopped' }[value] ?? value;
      state.dataset.state = value;
      toggle.textContent = value === 'paused' ? 'Resume' : 'Pause';
      toggle.hidden = value === 'ended' || value.startsWith('stopped');
    },
    control(s) {
      stream = s;
      toggle.onclick = () => (live === 'paused' ? stream.resume() : stream.pause());
    },
  };
}
