// Usage: calls, errors, denials and latency over time, by tool, user, agent, backend or
// application, as charts (and the totals as a table). Without audit.read.all the API counts
// the caller's own calls only.
// API: GET /usage?by=&bucket=&from=&to=.
import { h, table, card, field, select, replace, badge } from '../lib/dom.js';
import { qs } from '../lib/api.js';
import { lineChart, bars } from '../lib/chart.js';

const RANGES = [
  ['1h', 'last hour', 3600e3, '1m'],
  ['24h', 'last 24 hours', 86400e3, '15m'],
  ['7d', 'last 7 days', 7 * 86400e3, '6h'],
  ['30d', 'last 30 days', 30 * 86400e3, '24h'],
];
const BY = [['tool', 'tool'], ['user', 'user'], ['agent', 'agent'], ['backend', 'backend'], ['application', 'application']];

export default {
  id: 'usage',
  title: 'Usage',
  perm: 'usage.read',
  async render(view, ctx) {
    const by = select({ name: 'by' }, BY, ctx.params.get('by') || 'tool');
    const range = select({ name: 'range' }, RANGES.map((r) => [r[0], r[1]]), ctx.params.get('range') || '24h');
    const form = h('form', { class: 'toolbar', 'aria-label': 'Usage view' }, field('Group by', by), field('Range', range));
    const charts = h('div', { class: 'grid' });
    const top = h('div');
    const totals = h('div');
    view.append(card('Usage', ctx.can('audit.read.all') ? null : h('p', { class: 'muted' }, 'Your own calls only.'), form),
      charts, card('Top by calls', top), card('Totals', totals));
    const change = () => ctx.navigate('usage', { by: by.value, range: range.value });
    by.addEventListener('change', change);
    range.addEventListener('change', change);

    const [, , span, bucket] = RANGES.find((r) => r[0] === range.value) || RANGES[1];
    const bucketMS = { '1m': 60e3, '15m': 900e3, '6h': 21600e3, '24h': 86400e3 }[bucket];

    await ctx.poll(async (opts) => {
      const to = Date.now();
      const from = Math.floor((to - span) / bucketMS) * bucketMS;
      const res = await ctx.api.get('/usage' + qs({ by: by.value, bucket, from: new Date(from).toISOString() }), opts);
      if (!ctx.alive()) return;
      const rows = res.items || [];
      // Per bucket: calls, errors, denials, and latency weighted by calls.
      const per = new Map();
      const keys = new Map();
      for (const r of rows) {
        const t = new Date(r.bucket).getTime();
        const b = per.get(t) || { calls: 0, errors: 0, denied: 0, dur: 0 };
        b.calls += r.calls; b.errors += r.errors; b.denied += r.denied; b.dur += r.avg_duration_ms * r.calls;
        per.set(t, b);
        const k = keys.get(r.key) || { key: r.key, calls: 0, errors: 0, denied: 0, dur: 0 };
        k.calls += r.calls; k.errors += r.errors; k.denied += r.denied; k.dur += r.avg_duration_ms * r.calls;
        keys.set(r.key, k);
      }
      // Buckets without calls are zeros, so the lines fall to 0 instead of bridging gaps.
      for (let t = from; t <= to; t += bucketMS) if (!per.has(t)) per.set(t, { calls: 0, errors: 0, denied: 0, dur: 0 });
      const ts = [...per.keys()].sort((a, b) => a - b);
      const series = (f) => ts.map((t) => [t, f(per.get(t))]);
      const perMin = 60e3 / bucketMS;
      replace(charts,
        card(`Calls per minute (${bucket} buckets)`, lineChart([
          { name: 'calls', points: series((b) => b.calls * perMin) },
          { name: 'errors', points: series((b) => b.errors * perMin) },
          { name: 'denied', points: series((b) => b.denied * perMin) },
        ], { label: `Calls, errors and denials per minute over the ${range.selectedOptions[0].textContent}`, from, to })),
        card('Mean latency', lineChart([
          { name: 'mean latency (ms)', points: series((b) => (b.calls ? b.dur / b.calls : 0)) },
        ], { label: `Mean call latency in milliseconds over the ${range.selectedOptions[0].textContent}`, from, to, unit: '' })));
      const list = [...keys.values()].sort((a, b) => b.calls - a.calls);
      replace(top, list.length
        ? bars(list.slice(0, 12), { label: `Calls by ${by.value}`, value: (r) => r.calls, text: (r) => `${r.calls} calls${r.errors ? `, ${r.errors} errors` : ''}` })
        : h('p', { class: 'empty' }, 'No calls in this range.'));
      replace(totals, table([
        { label: by.value[0].toUpperCase() + by.value.slice(1), cell: (r) => h('span', { class: 'mono' }, r.key || '(none)') },
        { label: 'Calls', class: 'num', cell: (r) => String(r.calls) },
        { label: 'Errors', class: 'num', cell: (r) => r.errors ? badge(String(r.errors), 'bad') : '0' },
        { label: 'Denied', class: 'num', cell: (r) => r.denied ? badge(String(r.denied), 'warn') : '0' },
        { label: 'Error rate', class: 'num', cell: (r) => r.calls ? `${((100 * r.errors) / r.calls).toFixed(1)} %` : '—' },
        { label: 'Mean latency', class: 'num', cell: (r) => r.calls ? `${(r.dur / r.calls).toFixed(1)} ms` : '—' },
      ], list, { caption: `Totals by ${by.value}`, empty: 'No calls in this range.' }));
    }, 5000);
  },
};
