// A build's notifications: the commit statuses and signed webhooks its state changes owed, and how each went.

import { api } from '../api.js';
import { h, fill, badge, time } from '../dom.js';

export function notificationsPanel(buildId) {
  const list = h('div', { class: 'table-wrap' });
  const element = h('section', { 'aria-labelledby': 'notifications-title' }, h('h2', { id: 'notifications-title', text: 'Notifications' }), list);

  async function load() {
    const items = await api(`/api/v1/builds/${buildId}/notifications`);
    fill(list, items.length === 0 ? h('p', { class: 'hint', text: 'None sent.' }) : h('table', {},
      h('caption', { class: 'visually-hidden', text: 'Notifications, oldest first' }),
      h('thead', {}, h('tr', {}, ['Event', 'Kind', 'Receiver', 'Status', 'Attempts', 'Last answer'].map(c => h('th', { scope: 'col', text: c })))),
      h('tbody', {}, items.map(n => h('tr', {},
        h('td', { 'data-label': 'Event', text: n.event }),
        h('td', { 'data-label': 'Kind', text: n.kind }),
        h('td', { class: 'mono wrap', 'data-label': 'Receiver', text: n.url }),
        h('td', { 'data-label': 'Status' }, badge(n.status), n.nextAttemptAt ? [' next ', time(n.nextAttemptAt)] : null),
        h('td', { 'data-label': 'Attempts', text: String(n.attempts) }),
        h('td', { class: 'wrap', 'data-label': 'Last answer', text: [n.statusCode, n.error].filter(x => x != null).join(' ') }))))));
  }

  return { element, load: () => load().catch(err => fill(list, h('p', { class: 'error', role: 'alert', text: err.message }))) };
}
