// Small SVG charts for the Usage page, drawn with DOM calls (no inline styles: CSP).
// lineChart: time series as lines; bars: horizontal bars with a value each.
import { h } from './dom.js';

const W = 640, H = 220, L = 48, R = 12, T = 12, B = 28;

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmtTime(t, span) {
  const d = new Date(t);
  const p = (n) => String(n).padStart(2, '0');
  return span > 2 * 86400e3 ? `${d.getMonth() + 1}/${d.getDate()}` : `${p(d.getHours())}:${p(d.getMinutes())}`;
}

// lineChart(series, {label, from, to, unit}) draws series [{name, points: [[timeMs, y]…]}]
// (class series-0, series-1… in order) between from and to. label names the chart for
// screen readers; a legend names the series.
export function lineChart(series, { label, from, to, unit = '' }) {
  const span = Math.max(1, to - from);
  const ymax = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1]))));
  const x = (t) => L + ((t - from) / span) * (W - L - R);
  const y = (v) => T + (1 - v / ymax) * (H - T - B);
  const kids = [h('svg:title', {}, label)];
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    kids.push(h('svg:line', { class: 'axis grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
      h('svg:text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, `${+v.toFixed(2)}${unit}`));
  }
  for (let i = 0; i <= 4; i++) {
    const t = from + (span * i) / 4;
    kids.push(h('svg:text', { x: x(t), y: H - 8, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, fmtTime(t, span)));
  }
  kids.push(h('svg:line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[0] >= from && p[0] <= to).sort((a, b) => a[0] - b[0]);
    if (pts.length === 1) kids.push(h('svg:circle', { class: `dot series-${i}`, cx: x(pts[0][0]), cy: y(pts[0][1]), r: 3 }));
    else if (pts.length) kids.push(h('svg:polyline', { class: `series-${i}`, points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ') }));
  });
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': label }, kids);
  const legend = h('ul', { class: 'legend' }, series.map((s, i) => h('li', { class: `legend-${i}` }, s.name)));
  return h('figure', { class: 'chart-fig' }, svg, legend);
}

// bars(rows, {label, value, text}) draws one horizontal bar per row, scaled to the largest.
export function bars(rows, { label, value, text }) {
  const max = Math.max(1, ...rows.map(value));
  return h('div', { role: 'list', 'aria-label': label, class: 'bars' }, rows.map((r) => {
    const fill = h('div', { class: 'bar-fill' });
    fill.style.width = `${(100 * value(r)) / max}%`;
    return h('div', { class: 'bar-row', role: 'listitem' },
      h('span', { class: 'bar-label mono' }, r.key || '(none)'),
      h('div', { class: 'bar-track', 'aria-hidden': 'true' }, fill),
      h('span', { class: 'bar-value' }, text(r)));
  }));
}
