// The API under /api/v1, called with the session's key in the Authorization header. The key lives in sessionStorage
// only (gone when the tab closes) and never in a URL: downloads and the log stream are fetched with the header too.

const KEY = 'hybridbuild.key';
const WHO = 'hybridbuild.who';

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  /** The key's name and scopes, as GET /api/v1/keys/self told them. */
  get who() { try { return JSON.parse(sessionStorage.getItem(WHO)); } catch { return null; } },
  start(key, who) { sessionStorage.setItem(KEY, key); sessionStorage.setItem(WHO, JSON.stringify(who)); },
  end() { sessionStorage.removeItem(KEY); sessionStorage.removeItem(WHO); },
  /** Whether the key may do what <scope> allows (admin may do everything). */
  can(scope) { const scopes = this.who?.scopes ?? []; return scopes.includes(scope) || scopes.includes('admin'); },
};

/** An answer other than 2xx, with its RFC 9457 problem when the service sent one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(describe(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function describe(status, problem) {
  if (!problem) return `The service answered ${status}.`;
  const errors = Object.entries(problem.errors ?? {}).flatMap(([field, list]) => list.map(e => `${field}: ${e}`));
  return [problem.title, problem.detail, ...errors].filter(Boolean).join(' ');
}

export function authHeaders(key = session.key, extra = {}) {
  return { ...extra, Authorization: `Bearer ${key}` };
}

async function fail(response) {
  const type = response.headers.get('Content-Type') ?? '';
  const problem = type.includes('json') ? await response.json().catch(() => null) : null;
  if (response.status === 401) window.dispatchEvent(new CustomEvent('hybridbuild:unauthorized'));
  return new ApiError(response.status, problem);
}

/**
 * Calls the API: <json> is sent as JSON, <body> as it is (a FormData); answers the parsed JSON, or null for 204.
 * Throws ApiError for anything but 2xx.
 */
export async function api(path, { method = 'GET', json, body, headers = {}, key } = {}) {
  const all = authHeaders(key, headers);
  if (json !== undefined) { all['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  const response = await fetch(path, { method, headers: all, body, cache: 'no-store' });
  if (!response.ok) throw await fail(response);
  if (response.status === 204) return null;
  return (response.headers.get('Content-Type') ?? '').includes('json') ? response.json() : response.text();
}

/** Downloads <href> with the key's header, then saves it under <fileName> through an object URL. */
export async function download(href, fileName) {
  const response = await fetch(href, { headers: authHeaders(), cache: 'no-store' });
  if (!response.ok) throw await fail(response);
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
