// Building the page: every text the service sends (log lines, stage names, errors) goes in as text, never as markup.

const SVG = 'http://www.w3.org/2000/svg';

function build(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') element.textContent = String(value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Appends children: nodes as they are, strings and numbers as text nodes; arrays are flattened, null and false skipped. */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** An HTML element: h('a', { href: '#/x', class: 'link' }, 'text', otherNode). */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);

/** An SVG element, the same way. */
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG, tag), attrs, children);

export const clear = node => { node.replaceChildren(); return node; };

/** Replaces a node's children with <children> (flattened like append's). */
export const fill = (node, ...children) => append(clear(node), children);

/** Says something to screen readers (the page's polite live region). */
export function announce(message) {
  const region = document.getElementById('announce');
  region.textContent = '';
  setTimeout(() => { region.textContent = message; }, 50);
}

const SYMBOLS = { queued: '◷', running: '●', succeeded: '✓', failed: '✗', cancelled: '⊘', skipped: '–', expired: '⌛', pending: '◷', sending: '●', delivered: '✓', started: '✓', ignored: '–', published: '✓', planned: '◷' };

/** A status as a symbol and a word, so it never rests on colour alone. */
export function statusSymbol(status) { return SYMBOLS[status] ?? '•'; }

export const badge = status => h('span', { class: `status status-${status}` },
  h('span', { 'aria-hidden': 'true', text: statusSymbol(status) }), ' ', status);

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60), sec = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${sec} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Seconds between two ISO times, or to now when the end is missing (a running build). */
export function elapsed(from, to) {
  if (!from) return null;
  return ((to ? Date.parse(to) : Date.now()) - Date.parse(from)) / 1000;
}

export function time(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  return h('time', { datetime: iso, title: iso, text: at.toLocaleString() });
}

export function bytes(n) {
  if (n === null || n === undefined) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0, v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export const shortId = id => String(id).slice(0, 8);

/** A definition list from [term, value] pairs, leaving out empty values. */
export function facts(pairs, attrs) {
  return h('dl', { class: 'facts', ...attrs }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0))
    .map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]));
}
