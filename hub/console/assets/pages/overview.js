// Overview: the hub at a glance, refreshed every 5 s. Each part needs its own permission;
// a caller without it does not see that part (the API would refuse it anyway).
import { h, replace, card, stat, table, badge, ago, time } from '../lib/dom.js';
import { qs } from '../lib/api.js';

const POLL_MS = 5000;

export default {
  id: 'overview',
  title: 'Overview',
  perm: null,
  async render(view, ctx) {
    const parts = {};
    const add = (key, title) => {
      parts[key] = h('div', { class: 'part', 'data-part': key }, h('p', { class: 'muted' }, 'Loading…'));
      view.append(card(title, parts[key]));
    };
    const stats = h('div', { class: 'stats', 'aria-live': 'off' });
    view.append(stats);
    if (ctx.can('agents.read')) add('agents', 'Agents');
    if (ctx.can('backends.read')) add('backends', 'Backends');
    add('denials', ctx.can('audit.read.all') ? 'Recent denials' : 'Your recent denials');
    const updated = h('p', { class: 'muted small', id: 'overview-updated' });
    view.append(updated);

    await ctx.poll(async (opts) => {
      const [status, agents, backends, usage, denials] = await Promise.all([
        ctx.can('backends.read') ? ctx.api.get('/status', opts) : null,
        ctx.can('agents.read') ? ctx.api.get('/agents', opts) : null,
        ctx.can('backends.read') ? ctx.api.get('/backends', opts) : null,
        ctx.can('usage.read') ? ctx.api.get('/usage' + qs({ bucket: '60s', by: 'tool', from: new Date(Date.now() - 10 * 60000).toISOString() }), opts) : null,
        ctx.api.get('/audit' + qs({ decision: 'deny', limit: 10 }), opts),
      ]);
      if (!ctx.alive()) return;
      replace(stats, ...statCards(status, agents, backends, usage));
      if (parts.agents) replace(parts.agents, agentsTable(agents.items));
      if (parts.backends) replace(parts.backends, backendsTable(backends.items));
      replace(parts.denials, denialsTable(denials.items));
      updated.textContent = `Updated ${new Date().toLocaleTimeString()} · refreshes every ${POLL_MS / 1000} s`;
    }, POLL_MS);
  },
};

// statCards: the numbers at the top.
function statCards(status, agents, backends, usage) {
  const out = [];
  if (agents) {
    const live = agents.items.filter((a) => !a.revoked_at);
    const online = live.filter((a) => a.connected).length;
    out.push(stat('agents online', `${online} / ${live.length}`, online < live.length ? 'warn' : 'ok'));
    const fighting = live.filter((a) => a.session && a.session.fighting).length;
    if (fighting) out.push(stat('agents fighting', fighting, 'bad'));
  }
  if (backends) {
    const up = backends.items.filter((b) => b.state === 'ready').length;
    out.push(stat('backends ready', `${up} / ${backends.items.length}`, up < backends.items.length ? 'warn' : 'ok'));
    const open = backends.items.filter((b) => b.calls && b.calls.breaker !== 'closed').length;
    if (open) out.push(stat('breakers open', open, 'bad'));
    const restarted = backends.items.reduce((n, b) => n + (b.restarts || 0), 0);
    if (restarted) out.push(stat('backend restarts', restarted, 'warn'));
  }
  if (usage) {
    const rate = callRate(usage.items);
    out.push(stat('calls / min (last 5 min)', rate.perMinute.toFixed(1)));
    out.push(stat('error rate (last 5 min)', rate.calls ? `${(100 * rate.errors / rate.calls).toFixed(1)} %` : '—', rate.errors ? 'warn' : ''));
  }
  if (status) {
    const q = status.audit;
    out.push(stat('audit queue', q.pending, q.journal_down || q.refused_full ? 'bad' : q.pending > 1000 ? 'warn' : ''));
    out.push(stat('hub version', status.version));
  }
  return out;
}

// callRate sums the 1-minute buckets of the last 5 whole minutes.
export function callRate(rows, now = Date.now()) {
  const since = now - 5 * 60000;
  let calls = 0, errors = 0;
  for (const r of rows) {
    const t = new Date(r.bucket).getTime();
    if (t >= since) { calls += r.calls; errors += r.errors; }
  }
  return { calls, errors, perMinute: calls / 5 };
}

function agentsTable(items) {
  const live = items.filter((a) => !a.revoked_at);
  return table([
    { label: 'Agent', cell: (a) => h('a', { href: '#/agents?id=' + encodeURIComponent(a.id) }, a.id) },
    { label: 'State', cell: (a) => a.connected ? badge('online', 'ok') : badge('offline', 'muted') },
    { label: 'Version', cell: (a) => a.session ? a.session.version : '—' },
    { label: 'Connected / last seen', cell: lastSeen },
    { label: 'Backends', class: 'num', cell: (a) => a.session ? String(a.session.backends) : '—' },
    { label: 'Fighting', cell: (a) => a.session && a.session.fighting ? badge(`fighting (${a.session.replacements} replaced)`, 'bad') : badge('no', 'muted') },
  ], live, { caption: 'Agents', empty: 'No agent is enrolled yet.' });
}

function backendsTable(items) {
  return table([
    { label: 'Backend', cell: (b) => h('span', { class: 'mono' }, (b.agent ? b.agent + ' / ' : '') + b.name) },
    { label: 'Where', cell: (b) => b.agent ? 'agent' : 'hub' },
    { label: 'Health', cell: (b) => badge(b.state, b.state === 'ready' ? 'ok' : b.state === 'starting' ? 'warn' : 'bad') },
    { label: 'Breaker', cell: (b) => b.calls ? badge(b.calls.breaker, b.calls.breaker === 'closed' ? 'ok' : 'bad') : badge('no calls yet', 'muted') },
    { label: 'Breaker opened', class: 'num', cell: (b) => b.calls ? String(b.calls.opened) : '0' },
    { label: 'In flight', class: 'num', cell: (b) => b.calls ? `${b.calls.inFlight} (+${b.calls.queued} queued)` : '0' },
    { label: 'Restarts', class: 'num', cell: restarts },
    { label: 'Tools', class: 'num', cell: (b) => String(b.tools) },
    { label: 'Error', cell: (b) => b.error || (b.calls && b.calls.lastFailure) || '' },
  ], items, { caption: 'Backends', empty: 'No backend.' });
}

// lastSeen: since when a connected agent is online, or when an offline one was last seen.
export function lastSeen(a) {
  if (a.session) return h('span', { title: time(a.session.connected_since) }, 'since ' + ago(a.session.connected_since));
  if (a.connected) return 'online (another hub)';
  if (a.last_seen) return h('span', { title: time(a.last_seen) }, 'seen ' + ago(a.last_seen));
  return 'never';
}

// restarts: a backend's restart count, with when the last one was and why.
export function restarts(b) {
  if (!b.restarts) return '0';
  const when = b.last_restart ? `last ${ago(b.last_restart)}` : '';
  return h('span', { title: [b.last_restart ? time(b.last_restart) : '', b.last_error || ''].filter(Boolean).join(': ') },
    `${b.restarts}${when ? ' (' + when + ')' : ''}`);
}

function denialsTable(items) {
  return table([
    { label: 'Time', cell: (e) => h('span', { title: time(e.time) }, ago(e.time)) },
    { label: 'Caller', cell: (e) => e.caller || '—' },
    { label: 'Tool / action', cell: (e) => h('span', { class: 'mono' }, e.tool || e.action || e.method || '—') },
    { label: 'Why', cell: (e) => e.rule ? `rule ${e.rule}` : (e.error || e.reason || '—') },
  ], items, { caption: 'Recent denials', empty: 'No denial recorded.' });
}
