// The console's shell: sign-in, the navigation, and the hash router (#/agents?x=1) that
// renders one page module at a time into <main>. Pages are described in pages/index.js.
import { h, clear, replace, button } from './lib/dom.js';
import { api, session, onUnauthorized } from './lib/api.js';
import pages from './pages/index.js';

const root = document.getElementById('app');
let me = null; // GET /auth/me: {id, name, role, permissions}
let perms = new Set();
let current = null; // {page, cleanup, timers}

function can(perm) { return perms.has(perm); }

// ---- sign-in -------------------------------------------------------------------------

function showSignIn(message) {
  stopPage();
  me = null;
  perms = new Set();
  const err = h('p', { class: 'notice bad', role: 'alert', hidden: !message }, message || '');
  const name = h('input', { id: 'login-name', name: 'name', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn primary' }, 'Sign in');
  const form = h('form', { class: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to mcp-gateway'),
    err,
    h('div', { class: 'field' }, h('label', { for: 'login-name' }, 'User name'), name),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), pass),
    submit);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    err.hidden = true;
    try {
      await session.signIn(name.value, pass.value);
      pass.value = '';
      await startShell();
    } catch (e) {
      err.textContent = e.status === 401 ? 'Wrong user name or password.' : e.message;
      err.hidden = false;
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, h('main', { id: 'main', class: 'login' }, form));
  root.removeAttribute('aria-busy');
  name.focus();
}

onUnauthorized(() => showSignIn('Your session ended (signed out, timed out or changed). Sign in again.'));

// ---- shell ---------------------------------------------------------------------------

let nav, main, title, userBox;

async function startShell() {
  me = await api.get('/auth/me');
  perms = new Set(me.permissions || []);
  const visible = pages.filter((p) => !p.perm || can(p.perm));
  nav = h('nav', { class: 'nav', 'aria-label': 'Console' },
    h('ul', {}, visible.map((p) => h('li', {}, h('a', { href: '#/' + p.id, 'data-page': p.id }, p.title)))));
  const menu = button('Menu', () => {
    const open = root.classList.toggle('nav-open');
    menu.setAttribute('aria-expanded', String(open));
  }, { kind: 'ghost menu-toggle', 'aria-controls': 'nav', 'aria-expanded': 'false' });
  nav.id = 'nav';
  userBox = h('div', { class: 'user' },
    h('span', { class: 'user-name' }, me.name), ' ', h('span', { class: 'badge info' }, me.role), ' ',
    button('Sign out', async () => {
      try { await session.signOut(); } catch { /* signed out anyway */ }
      location.hash = '';
      showSignIn();
    }, { kind: 'ghost small' }));
  main = h('main', { id: 'main', class: 'main', tabindex: -1 });
  title = h('h1', { class: 'page-title' });
  replace(root,
    h('header', { class: 'top' }, menu, h('a', { class: 'brand', href: '#/overview' }, 'mcp-gateway'), userBox),
    nav,
    h('div', { class: 'content' }, title, main));
  root.removeAttribute('aria-busy');
  route();
}

function stopPage() {
  if (!current) return;
  for (const t of current.timers) clearTimeout(t.id);
  current.timers.length = 0;
  current.stopped = true;
  if (typeof current.cleanup === 'function') {
    try { current.cleanup(); } catch (e) { console.error(e); }
  }
  current = null;
}

// route renders the page the hash names (default: the first visible page).
async function route() {
  if (!me) return;
  const [path, query] = (location.hash.replace(/^#\/?/, '') || '').split('?');
  const visible = pages.filter((p) => !p.perm || can(p.perm));
  const page = visible.find((p) => p.id === path) || visible[0];
  stopPage();
  root.classList.remove('nav-open');
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === page.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  title.textContent = page.title;
  document.title = `${page.title} · mcp-gateway`;
  clear(main);
  const state = { page, cleanup: null, timers: [], stopped: false };
  current = state;
  const ctx = makeContext(state, new URLSearchParams(query || ''));
  try {
    state.cleanup = await page.render(main, ctx);
  } catch (e) {
    if (state.stopped || e.status === 401) return;
    main.append(h('p', { class: 'notice bad', role: 'alert' }, `This page failed to load: ${e.message}`));
  }
}

// makeContext is what a page's render gets (see the contract in docs/CONSOLE.md).
function makeContext(state, params) {
  const live = h('div', { class: 'toast', role: 'status', 'aria-live': 'polite' });
  main.append(live);
  return {
    api,
    me,
    can,
    params,
    // navigate changes the hash (and so the page); params optional.
    navigate(id, p) { location.hash = '#/' + id + (p ? '?' + new URLSearchParams(p) : ''); },
    // notify shows a short message in the page's live region (kind: ok | bad | info).
    notify(text, kind = 'ok') {
      replace(live, h('p', { class: `notice ${kind}` }, text));
    },
    // poll runs fn now and then every ms (≤ 5000 for live pages) until the page is left;
    // fn gets {background: true} to pass to api.get. Errors are shown, polling goes on.
    poll(fn, ms = 5000) {
      const t = { id: 0 };
      state.timers.push(t);
      const tick = async () => {
        if (state.stopped) return;
        try { await fn({ background: true }); } catch (e) {
          if (e.status === 401) return;
          if (!state.stopped) replace(live, h('p', { class: 'notice bad' }, `Update failed: ${e.message}`));
        }
        if (!state.stopped) t.id = setTimeout(tick, ms);
      };
      return tick();
    },
    // alive reports whether the page is still shown (check after an await).
    alive() { return !state.stopped; },
  };
}

window.addEventListener('hashchange', route);

async function boot() {
  try {
    const s = await session.current();
    if (!s) return showSignIn();
    await startShell();
  } catch (e) {
    if (e.status === 401) return showSignIn();
    replace(root, h('main', { id: 'main' }, h('p', { class: 'notice bad', role: 'alert' }, `The console cannot reach the hub: ${e.message}`)));
  }
}

boot();
