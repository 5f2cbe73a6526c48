// Audit: search the trail by time, user, key, application, agent, tool, kind, decision and
// status; a call's detail (payload hashes, policy decision, latency, trace); export what the
// search selects as NDJSON or CSV. Without audit.read.all the API limits every query to the
// caller's own events (the page says so).
// API: GET /audit (cursor pages), GET /audit/stats, GET /audit/export?format=csv|ndjson;
// GET /users names user ids when the caller may read users.
import { h, table, badge, button, card, field, select, modal, replace, time } from '../lib/dom.js';
import { qs, API_BASE } from '../lib/api.js';

const FILTERS = ['from', 'to', 'user', 'key', 'application', 'agent', 'tool', 'kind', 'decision', 'status', 'trace_id'];

// toRFC3339 turns a datetime-local value (local time) into RFC 3339 UTC.
function toRFC3339(v) {
  if (!v) return '';
  const d = new Date(v);
  return isNaN(d) ? '' : d.toISOString();
}

function fromRFC3339(v) {
  if (!v) return '';
  const d = new Date(v);
  if (isNaN(d)) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function statusBadge(s) {
  if (!s) return '';
  return badge(s, s === 'ok' ? 'ok' : s === 'denied' ? 'warn' : 'bad');
}

function ms(ns) {
  return ns ? (ns / 1e6).toFixed(ns < 1e7 ? 2 : 0) + ' ms' : '';
}

export default {
  id: 'audit',
  title: 'Audit',
  perm: null, // every signed-in user may read at least their own events
  async render(view, ctx) {
    const all = ctx.can('audit.read.all');
    const users = ctx.can('users.read') ? ((await ctx.api.get('/users').catch(() => ({ items: [] }))).items || []) : [];
    const userName = new Map(users.map((u) => [u.id, u.name]));
    const p = ctx.params;
    const ctl = {
      from: h('input', { type: 'datetime-local', name: 'from', value: fromRFC3339(p.get('from')) }),
      to: h('input', { type: 'datetime-local', name: 'to', value: fromRFC3339(p.get('to')) }),
      user: users.length
        ? select({ name: 'user' }, [['', 'any user'], ...users.map((u) => [u.id, u.name])], p.get('user') || '')
        : h('input', { name: 'user', value: p.get('user') || '', placeholder: 'user id' }),
      key: h('input', { name: 'key', value: p.get('key') || '', placeholder: 'key id' }),
      application: h('input', { name: 'application', value: p.get('application') || '' }),
      agent: h('input', { name: 'agent', value: p.get('agent') || '' }),
      tool: h('input', { name: 'tool', value: p.get('tool') || '' }),
      kind: select({ name: 'kind' }, [['', 'any kind'], 'call', 'denied', 'admin', 'integrity', 'login'], p.get('kind') || ''),
      decision: select({ name: 'decision' }, [['', 'any decision'], 'allow', 'deny'], p.get('decision') || ''),
      status: select({ name: 'status' }, [['', 'any status'], 'ok', 'error', 'denied'], p.get('status') || ''),
      trace_id: h('input', { name: 'trace_id', value: p.get('trace_id') || '', class: 'mono' }),
    };
    if (!all) ctl.user = null; // bound to the caller by the API anyway
    const labels = { from: 'From', to: 'To', user: 'User', key: 'Key', application: 'Application', agent: 'Agent', tool: 'Tool', kind: 'Kind', decision: 'Decision', status: 'Status', trace_id: 'Trace id' };
    const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search the audit trail' },
      FILTERS.filter((k) => ctl[k]).map((k) => field(labels[k], ctl[k])),
      h('div', { class: 'actions' }, button('Search', null, { type: 'submit', kind: 'primary' }),
        button('Clear', () => ctx.navigate('audit'), { kind: 'ghost' })));

    const filters = () => {
      const f = {};
      for (const k of FILTERS) {
        if (!ctl[k]) continue;
        const v = k === 'from' || k === 'to' ? toRFC3339(ctl[k].value) : ctl[k].value.trim();
        if (v) f[k] = v;
      }
      return f;
    };
    const summary = h('div', { 'aria-live': 'polite' });
    const exports = h('div', { class: 'actions' });
    const results = h('div');
    const more = h('div');
    view.append(card('Search', all ? null : h('p', { class: 'muted' }, 'You see your own events only.'), form),
      card('Events', summary, exports, results, more));

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      ctx.navigate('audit', filters());
    });

    const f = filters();
    const link = (format, label) => h('a', { class: 'btn', href: API_BASE + '/audit/export' + qs({ ...f, format }), download: '' }, label);
    replace(exports, link('ndjson', 'Export NDJSON'), link('csv', 'Export CSV'));

    const rows = [];
    const columns = [
      { label: 'Time', cell: (e) => time(e.time) },
      { label: 'Kind', cell: (e) => e.kind },
      { label: 'Who', cell: (e) => userName.get(e.user_id) || e.caller || e.user_id || '' },
      { label: 'Application', cell: (e) => e.application || '' },
      { label: 'Where', cell: (e) => [e.agent, e.backend].filter(Boolean).join(' / ') },
      { label: 'Tool / action', cell: (e) => h('span', { class: 'mono' }, e.tool || e.action || '') },
      { label: 'Decision', cell: (e) => e.decision ? badge(e.decision + (e.rule ? ` (${e.rule})` : ''), e.decision === 'deny' ? 'bad' : 'ok') : '' },
      { label: 'Status', cell: (e) => statusBadge(e.status) },
      { label: 'Latency', class: 'num', cell: (e) => ms(e.duration_ns) },
      { label: 'Detail', cell: (e) => button('Details', () => detail(e), { kind: 'small', 'aria-label': `Details of event ${e.id}` }) },
    ];
    async function page(cursor) {
      const res = await ctx.api.get('/audit' + qs({ ...f, cursor, limit: 50 }));
      if (!ctx.alive()) return;
      rows.push(...(res.items || []));
      replace(results, table(columns, rows, { caption: 'Audit events, newest first', empty: 'No event matches.' }));
      replace(more, res.next ? button('Load more', () => page(res.next).catch((e) => ctx.notify(e.message, 'bad'))) : null);
    }

    function detail(e) {
      const facts = [
        ['Event', e.id], ['Time', time(e.time)], ['Kind', e.kind], ['User', userName.get(e.user_id) ? `${userName.get(e.user_id)} (${e.user_id})` : e.user_id],
        ['Key', e.key_id], ['Caller', e.caller], ['Role', e.role], ['Application', e.application], ['Agent', e.agent], ['Backend', e.backend],
        ['Tool', e.tool], ['Risk', e.risk], ['Decision', e.decision], ['Rule', e.rule], ['Status', e.status], ['Error', e.error],
        ['Latency', ms(e.duration_ns)], ['Trace id', e.trace_id], ['Request hash', e.request_hash], ['Response hash', e.response_hash],
        ['Action', e.action], ['Target', e.target], ['Detail', e.detail],
      ].filter(([, v]) => v);
      const body = [h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', { class: /hash|id$|Event|Key/.test(k) ? 'mono wrap' : 'wrap' }, String(v))]))];
      if (e.request) body.push(h('h3', {}, 'Request (redacted)'), h('pre', { class: 'snippet code', tabindex: 0 }, e.request));
      if (e.response) body.push(h('h3', {}, 'Response (redacted)'), h('pre', { class: 'snippet code', tabindex: 0 }, e.response));
      if (e.trace_id) body.push(h('p', {}, h('a', { href: '#/audit' + qs({ trace_id: e.trace_id }) }, 'Other events of this trace')));
      modal(`Audit event`, body).dialog.classList.add('wide');
    }

    const [stats] = await Promise.all([ctx.api.get('/audit/stats' + qs(f)), page('')]);
    if (!ctx.alive()) return;
    const by = (m) => Object.entries(m || {}).map(([k, v]) => `${k} ${v}`).join(', ') || '—';
    replace(summary, h('p', {}, h('strong', {}, `${stats.total} matching event(s)`), ` · status: ${by(stats.by_status)} · decision: ${by(stats.by_decision)} · kind: ${by(stats.by_kind)}`));
  },
};
