// Tools: every exposed tool with its risk, state and owner; enable/disable; the quarantine
// queue, where a reviewer reads the scanner's findings and, for a pinned tool whose
// definition changed, the old and new definitions side by side before approving.
// API: GET /tools, GET /tools/{name} (definition, pinned_definition), PATCH /tools/{name},
// POST /tools/{name}/approve {fingerprint}.
import { h, table, badge, button, card, field, select, modal, confirmDialog, replace } from '../lib/dom.js';
import { qs } from '../lib/api.js';
import { canonical, lineDiff, sideBySide } from '../lib/diff.js';

const RISKS = ['read', 'write', 'external-api', 'admin', 'execute', 'destructive', 'unclassified'];
const riskKind = { read: 'ok', write: 'warn', 'external-api': 'info', admin: 'bad', execute: 'bad', destructive: 'bad', unclassified: 'muted' };

function stateOf(t) {
  if (t.quarantined) return badge('quarantined', 'bad');
  if (t.disabled) return badge('disabled', 'warn');
  return badge('enabled', 'ok');
}

function owner(t) {
  return t.agent ? `${t.agent} / ${t.backend}` : `hub / ${t.backend}`;
}

function highFindings(t) {
  return (t.findings || []).filter((f) => f.severity === 'high');
}

export default {
  id: 'tools',
  title: 'Tools',
  perm: 'tools.read',
  async render(view, ctx) {
    const write = ctx.can('tools.write');
    const q = h('input', { type: 'search', name: 'q', value: ctx.params.get('q') || '', placeholder: 'name or description' });
    const risk = select({ name: 'risk' }, [['', 'any risk'], ...RISKS], ctx.params.get('risk') || '');
    const stateSel = select({ name: 'state' }, [['', 'any state'], 'enabled', 'disabled', 'quarantined'], ctx.params.get('state') || '');
    const form = h('form', { class: 'toolbar', role: 'search', 'aria-label': 'Filter tools' },
      field('Search', q), field('Risk', risk), field('State', stateSel),
      h('div', { class: 'spacer' }), button('Filter', null, { type: 'submit', kind: 'primary' }));
    const queue = h('div');
    const list = h('div');
    view.append(card('Quarantine queue', queue), card('Exposed tools', form, list));

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      ctx.navigate('tools', Object.fromEntries(Object.entries({ q: q.value, risk: risk.value, state: stateSel.value }).filter(([, v]) => v)));
    });

    async function load() {
      const all = (await ctx.api.get('/tools' + qs({ q: q.value, risk: risk.value }))).items || [];
      if (!ctx.alive()) return;
      const quarantined = all.filter((t) => t.quarantined);
      replace(queue, quarantined.length === 0
        ? h('p', { class: 'empty' }, 'No tool waits for review.')
        : table([
          { label: 'Tool', cell: (t) => h('span', { class: 'mono' }, t.name) },
          { label: 'Owner', cell: owner },
          { label: 'Why', cell: (t) => t.quarantine_reason || '' },
          { label: 'Findings', class: 'num', cell: (t) => String((t.findings || []).length) },
          { label: 'Review', cell: (t) => button(write ? 'Review' : 'View', () => review(t.name), { kind: 'small', 'aria-label': `Review ${t.name}` }) },
        ], quarantined, { caption: 'Tools waiting for review' }));
      const st = stateSel.value;
      const shown = all.filter((t) => !st || (st === 'quarantined' ? t.quarantined : st === 'disabled' ? t.disabled && !t.quarantined : !t.disabled && !t.quarantined));
      replace(list, h('p', { class: 'muted' }, `${shown.length} of ${all.length} tools`), table([
        { label: 'Name', cell: (t) => button(t.name, () => review(t.name), { kind: 'ghost small mono', 'aria-label': `Details of ${t.name}` }) },
        { label: 'Owner', cell: owner },
        { label: 'Risk', cell: (t) => h('span', { title: t.risk_reason || '' }, badge(t.risk, riskKind[t.risk] || 'muted'), t.risk_override ? h('span', { class: 'muted' }, ' (set)') : null) },
        { label: 'State', cell: stateOf },
        { label: 'Pin', cell: (t) => t.status || '—' },
        { label: 'Actions', cell: (t) => write && !t.quarantined
          ? button(t.disabled ? 'Enable' : 'Disable', () => toggle(t), { kind: t.disabled ? 'small' : 'small danger', perm: 'tools.write', 'aria-label': `${t.disabled ? 'Enable' : 'Disable'} ${t.name}` })
          : '' },
      ], shown, { caption: 'Exposed tools', empty: 'No tool matches.' }));
    }

    async function toggle(t) {
      const disable = !t.disabled;
      if (disable && !await confirmDialog('Disable tool', `Disable ${t.name}? Calls to it will be refused until it is enabled again.`, 'Disable')) return;
      try {
        await ctx.api.patch('/tools/' + encodeURIComponent(t.name), { disabled: disable });
        ctx.notify(`${t.name} ${disable ? 'disabled' : 'enabled'}.`);
        await load();
      } catch (e) { ctx.notify(e.message, 'bad'); }
    }

    async function review(name) {
      let d;
      try { d = await ctx.api.get('/tools/' + encodeURIComponent(name)); } catch (e) { ctx.notify(e.message, 'bad'); return; }
      const body = [
        h('dl', { class: 'facts' },
          h('dt', {}, 'Owner'), h('dd', {}, owner(d)),
          h('dt', {}, 'Original name'), h('dd', { class: 'mono' }, d.tool),
          h('dt', {}, 'Risk'), h('dd', {}, `${d.risk} — ${d.risk_reason || ''}`),
          h('dt', {}, 'State'), h('dd', {}, stateOf(d), d.quarantine_reason ? ' ' + d.quarantine_reason : ''),
          h('dt', {}, 'Fingerprint'), h('dd', { class: 'mono wrap' }, d.fingerprint)),
      ];
      if ((d.findings || []).length) {
        body.push(h('h3', {}, 'Findings'), h('ul', { class: 'findings' }, d.findings.map((f) => h('li', {},
          badge(f.severity, f.severity === 'high' ? 'bad' : f.severity === 'medium' ? 'warn' : 'muted'), ' ',
          h('strong', {}, f.kind), ` in ${f.field}: ${f.why} `, h('code', { class: 'wrap' }, f.excerpt)))));
      }
      if (d.pinned_definition) {
        body.push(h('h3', {}, 'Definition: what changed'), diffView(d.pinned_definition, d.definition, d.pinned_definition_hash, d.fingerprint));
      } else {
        body.push(h('h3', {}, d.quarantined && d.status === 'quarantined' && !d.findings ? 'Definition (the one it was pinned with is not kept)' : 'Definition'),
          h('pre', { class: 'snippet code', tabindex: 0 }, canonical(d.definition)));
      }
      let m;
      if (write && d.quarantined) {
        body.push(h('div', { class: 'actions' },
          button('Approve this definition', async () => {
            const high = highFindings(d);
            if (high.length && !await confirmDialog('Approve despite high-severity findings?',
              `${high.length} high-severity finding(s): ${high.map((f) => f.why).join('; ')}. Approving releases the tool to every client.`, 'Approve anyway')) return;
            try {
              await ctx.api.post('/tools/' + encodeURIComponent(d.name) + '/approve', { fingerprint: d.fingerprint });
              m.close();
              ctx.notify(`${d.name} approved.`);
              await load();
            } catch (e) { ctx.notify(e.status === 409 ? 'The definition changed again since you opened it: review it anew.' : e.message, 'bad'); m.close(); }
          }, { kind: 'primary', perm: 'tools.write' })));
      }
      m = modal(`Tool ${d.name}`, body);
      m.dialog.classList.add('wide');
    }

    await load();
  },
};

// diffView shows the pinned (old) and current (new) definitions side by side, changed lines
// marked (and named for screen readers: "removed", "added").
function diffView(oldDef, newDef, oldHash, newHash) {
  const rows = sideBySide(lineDiff(canonical(oldDef).split('\n'), canonical(newDef).split('\n')));
  const changed = rows.filter((r) => r.kind === 'change').length;
  const cell = (text, side, kind) => h('td', { class: ['code', kind === 'change' && text !== null ? (side === 'left' ? 'del' : 'add') : '', text === null ? 'gap' : ''] },
    kind === 'change' && text !== null ? h('span', { class: 'sr-only' }, side === 'left' ? 'removed: ' : 'added: ') : null, text ?? '');
  return h('div', {},
    h('p', { class: 'muted' }, `${changed} changed line(s). Left: pinned ${short(oldHash)}; right: now ${short(newHash)}.`),
    h('div', { class: 'table-wrap diff-wrap', tabindex: 0, role: 'region', 'aria-label': 'Definition diff' },
      h('table', { class: 'diff' },
        h('caption', { class: 'sr-only' }, 'Pinned definition beside the current one'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Pinned (approved before)'), h('th', { scope: 'col' }, 'Current (waiting)'))),
        h('tbody', {}, rows.map((r) => h('tr', {}, cell(r.left, 'left', r.kind), cell(r.right, 'right', r.kind)))))));
}

function short(hash) { return hash ? hash.slice(0, 12) : '?'; }
