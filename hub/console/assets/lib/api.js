// The console's only way to the hub. Every path is relative to the page (./ui/), so the
// console works under a reverse proxy's path prefix: ../api/v1/… and ./session.
//
// api.get('/agents') → parsed JSON; api.post('/agents', {id}) ; api.put / api.patch /
// api.del(path, body?). A failure throws ApiError {status, code, message, permission}.
// Writes carry the session's CSRF token (X-CSRF-Token). A 401 ends the session in the
// page: onUnauthorized handlers run (the app shows the sign-in form) and the call throws.
// {background: true} marks a poll: it does not count as the user's activity for the
// idle timeout.

export const API_BASE = '../api/v1';

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.permission = e.permission || '';
  }
}

let csrf = '';
const unauthorized = new Set();

export function setCSRF(token) { csrf = token || ''; }
export function onUnauthorized(fn) { unauthorized.add(fn); return () => unauthorized.delete(fn); }

async function request(method, url, body, { background = false, raw = false, signal, quiet = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  if (background) headers['X-Console-Background'] = '1';
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(url, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store', signal });
  if (raw && res.ok) return res;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = { error: { message: text.slice(0, 300) } }; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401 && !quiet) for (const fn of unauthorized) fn(err);
    throw err;
  }
  return data;
}

function call(method) {
  return (path, body, opts) => request(method, API_BASE + path, body, opts);
}

export const api = {
  get: (path, opts) => request('GET', API_BASE + path, undefined, opts),
  post: call('POST'),
  put: call('PUT'),
  patch: call('PATCH'),
  del: call('DELETE'),
  // raw fetches path and returns the Response (downloads: audit export).
  raw: (path, opts) => request('GET', API_BASE + path, undefined, { ...opts, raw: true }),
};

// The console's own session endpoint (./session): sign in, who is signed in, sign out.
export const session = {
  async current() {
    try {
      const s = await request('GET', 'session', undefined, { background: true, quiet: true });
      if (!s || !s.signed_in) return null;
      setCSRF(s.csrf_token);
      return s;
    } catch (e) {
      if (e.status === 401) return null;
      throw e;
    }
  },
  async signIn(name, password) {
    const s = await request('POST', 'session', { name, password }, { quiet: true });
    setCSRF(s.csrf_token);
    return s;
  },
  async signOut() {
    try { await request('DELETE', 'session', undefined, { quiet: true }); } finally { setCSRF(''); }
  },
};

// qs builds a query string from an object, leaving out empty values: qs({user: 'a'}) → '?user=a'.
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== null && v !== undefined) p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}
