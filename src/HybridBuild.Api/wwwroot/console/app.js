// The console's shell: sign-in, the navigation, and a router on the URL's fragment (#/builds, #/builds/{id}, #/submit,
// #/triggers, #/triggers/{id}). Each view renders into <main> and returns a function that stops what it started.

import { api, session, ApiError } from './api.js';
import { h, clear, fill, announce } from './dom.js';
import { buildsView } from './views/builds.js';
import { buildView } from './views/build.js';
import { submitView } from './views/submit.js';
import { triggersView, triggerView } from './views/triggers.js';

const main = document.getElementById('main');
const GUID = '([0-9a-fA-F-]{36})';
const routes = [
  [new RegExp('^/?$'), () => buildsView],
  [new RegExp('^/builds$'), () => buildsView],
  [new RegExp(`^/builds/${GUID}$`), () => buildView],
  [new RegExp('^/submit$'), () => submitView],
  [new RegExp('^/triggers$'), () => triggersView],
  [new RegExp(`^/triggers/${GUID}$`), () => triggerView],
];

let stopView = null;
let generation = 0;

function signInView(target) {
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'api-key-hint' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', text: 'Sign in' });
  const form = h('form', { class: 'card sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title', tabindex: -1, text: 'Sign in' }),
    h('label', { for: 'api-key', text: 'API key' }), input,
    h('p', { id: 'api-key-hint', class: 'hint', text: 'Kept in this tab only (session storage) and sent as an Authorization header; closing the tab signs you out.' }),
    error, button);
  form.addEventListener('submit', async e => {
    e.preventDefault();
    const key = input.value.trim();
    button.disabled = true;
    error.hidden = true;
    try {
      const who = await api('/api/v1/keys/self', { key });
      session.start(key, who);
      input.value = '';
      showSession();
      announce(`Signed in as ${who.name}`);
      route(target);
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 401 ? 'That key is not valid, or it has been revoked.' : err.message;
      error.hidden = false;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  fill(main, form);
  input.focus();
}

function showSession() {
  const who = session.who;
  const nav = document.getElementById('nav');
  nav.hidden = !who;
  document.getElementById('who').hidden = !who;
  document.getElementById('who-name').textContent = who ? `${who.name} (${who.scopes.join(', ')})` : '';
  for (const link of nav.querySelectorAll('[data-scope]')) link.hidden = !session.can(link.dataset.scope);
}

function route(path = location.hash.slice(1) || '/builds') {
  stopView?.();
  stopView = null;
  const mine = ++generation;
  if (!session.key) { showSession(); signInView(path); return; }
  const [pathname, query = ''] = path.split('?');
  const match = routes.map(([pattern, view]) => [pattern.exec(pathname), view]).find(([m]) => m);
  for (const link of document.querySelectorAll('#nav a')) {
    const current = pathname.startsWith(link.getAttribute('href').slice(1));
    if (current) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  clear(main);
  if (!match) {
    main.append(h('h1', { tabindex: -1, text: 'Not found' }), h('p', {}, 'No such page. ', h('a', { href: '#/builds', text: 'Go to the builds.' })));
    return;
  }
  const [m, view] = match;
  // each view draws into its own element: one that was left while it loaded draws into a detached node, harmlessly
  const root = h('div', { class: 'view' });
  main.append(root);
  const result = view()(root, { params: m.slice(1), query: new URLSearchParams(query) });
  Promise.resolve(result)
    .then(stop => { if (mine === generation) stopView = stop ?? null; else stop?.(); })
    .catch(err => root.append(h('p', { class: 'error', role: 'alert', text: err.message })));
  root.querySelector('h1')?.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => route());
window.addEventListener('hybridbuild:unauthorized', () => {
  if (!session.key) return;
  session.end();
  announce('The key is no longer valid: signed out.');
  route();
});
document.getElementById('sign-out').addEventListener('click', () => {
  session.end();
  showSession();
  location.hash = '#/builds';
  route();
});

showSession();
route();
