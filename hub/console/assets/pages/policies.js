// Policies: the rules in the order they are evaluated (descending priority, then as
// written), the default, adding/editing/deleting rules, and a dry run that shows which rule
// decides a call and why each rule before it did not match.
// API: GET /policies, POST /policies/rules, PUT|DELETE /policies/rules/{name},
// PUT /policies/default, POST /policies/dry-run; GET /tools and /roles fill the pickers.
import { h, table, badge, button, card, field, select, modal, confirmDialog, replace, formData } from '../lib/dom.js';

const LISTS = [
  ['tools', 'Tools', 'globs on the exposed or the original name, comma-separated'],
  ['risk', 'Risk', 'read, write, external-api, admin, execute, destructive, unclassified'],
  ['applications', 'Applications', 'applications of the calling key'],
  ['agents', 'Agents', 'agent ids; an empty item is the hub itself'],
  ['backends', 'Backends', 'backend names'],
  ['roles', 'Roles', 'roles of the caller'],
];

// ordered returns the rules in evaluation order: descending priority, stable.
function ordered(rules) {
  return (rules || []).map((r, i) => [r, i]).sort((a, b) => (b[0].priority || 0) - (a[0].priority || 0) || a[1] - b[1]).map(([r]) => r);
}

function matches(r) {
  const parts = [];
  for (const [k, label] of LISTS) if (r[k] && r[k].length) parts.push(`${label.toLowerCase()}: ${r[k].join(', ')}`);
  if (r.when && r.when.length) parts.push(`${r.when.length} argument condition(s)`);
  return parts.length ? parts.join('; ') : 'every call';
}

function splitList(s) {
  return (s || '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

export default {
  id: 'policies',
  title: 'Policies',
  perm: 'policies.read',
  async render(view, ctx) {
    const write = ctx.can('policies.write');
    const head = h('div');
    const rules = h('div');
    const dry = h('div');
    view.append(card('Rules', head, rules), card('Dry run', dry));

    let cur = null;
    async function load() {
      cur = await ctx.api.get('/policies');
      if (!ctx.alive()) return;
      const editable = write && cur.source !== 'file';
      replace(head,
        h('p', {}, 'Source: ', badge(cur.source, 'info'), cur.file ? h('span', { class: 'mono' }, ' ' + cur.file) : null,
          cur.source === 'file' ? h('span', { class: 'muted' }, ' (read-only here: edit the file)') : null),
        h('p', {}, 'When no rule matches: ', badge(cur.default || 'allow', cur.default === 'deny' ? 'bad' : 'ok'),
          cur.default_reason ? ` — ${cur.default_reason}` : ''),
        editable ? h('div', { class: 'actions' },
          button('Add rule', () => editRule(null), { kind: 'primary', perm: 'policies.write' }),
          button('Change default', () => editDefault(), { perm: 'policies.write' })) : null);
      replace(rules, table([
        { label: '#', class: 'num', cell: (r) => String(ordered(cur.rules).indexOf(r) + 1) },
        { label: 'Name', cell: (r) => h('span', { class: 'mono' }, r.name) },
        { label: 'Effect', cell: (r) => badge(r.effect, r.effect === 'deny' ? 'bad' : 'ok') },
        { label: 'Priority', class: 'num', cell: (r) => String(r.priority || 0) },
        { label: 'Matches', cell: matches },
        { label: 'Reason', cell: (r) => r.reason || '' },
        { label: 'Actions', cell: (r) => editable ? h('div', { class: 'row' },
          button('Edit', () => editRule(r), { kind: 'small', perm: 'policies.write', 'aria-label': `Edit rule ${r.name}` }),
          button('Delete', () => del(r), { kind: 'small danger', perm: 'policies.write', 'aria-label': `Delete rule ${r.name}` })) : '' },
      ], ordered(cur.rules), { caption: 'Policy rules in evaluation order', empty: 'No rules: every call RBAC allows gets the default.' }));
    }

    async function del(r) {
      if (!await confirmDialog('Delete rule', `Delete the rule ${r.name}?`, 'Delete')) return;
      try { await ctx.api.del('/policies/rules/' + encodeURIComponent(r.name)); ctx.notify(`Rule ${r.name} deleted.`); await load(); }
      catch (e) { ctx.notify(e.message, 'bad'); }
    }

    function editDefault() {
      const eff = select({ name: 'default' }, ['allow', 'deny'], cur.default || 'allow');
      const why = h('input', { name: 'default_reason', value: cur.default_reason || '' });
      const err = h('p', { class: 'notice bad', role: 'alert', hidden: true });
      const form = h('form', { class: 'form-grid' }, err, field('Decision', eff), field('Reason', why),
        h('div', { class: 'actions' }, button('Save', null, { type: 'submit', kind: 'primary', perm: 'policies.write' })));
      const m = modal('Default decision', form);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try { await ctx.api.put('/policies/default', { default: eff.value, default_reason: why.value }); m.close(); ctx.notify('Default saved.'); await load(); }
        catch (e) { err.textContent = e.message; err.hidden = false; }
      });
    }

    function editRule(r) {
      const isNew = !r;
      r = r || { effect: 'deny', priority: 0 };
      const ctl = {
        name: h('input', { name: 'name', value: r.name || '', required: true, readonly: !isNew, pattern: '[A-Za-z0-9_.:\\-]+' }),
        effect: select({ name: 'effect' }, ['deny', 'allow'], r.effect),
        priority: h('input', { name: 'priority', type: 'number', value: String(r.priority || 0), min: -1000000, max: 1000000 }),
        reason: h('input', { name: 'reason', value: r.reason || '' }),
        when: h('textarea', { name: 'when', rows: 4, class: 'mono', spellcheck: 'false' }, r.when && r.when.length ? JSON.stringify(r.when, null, 2) : ''),
      };
      const lists = LISTS.map(([k, label, hint]) => {
        const input = h('input', { name: k, value: (r[k] || []).join(', ') });
        return [k, field(label, input, hint), input];
      });
      const err = h('p', { class: 'notice bad', role: 'alert', hidden: true });
      const form = h('form', { class: 'form-grid' }, err,
        field('Name', ctl.name, isNew ? 'letters, digits, _ . : -' : 'the name identifies the rule'),
        field('Effect', ctl.effect), field('Priority', ctl.priority, 'higher is evaluated first'), field('Reason', ctl.reason, 'shown to the client on a deny'),
        lists.map(([, f]) => f),
        field('Argument conditions (JSON)', ctl.when, 'e.g. [{"arg": "path", "under": "/srv/data"}]; empty for none'),
        h('div', { class: 'actions' }, button(isNew ? 'Add rule' : 'Save rule', null, { type: 'submit', kind: 'primary', perm: 'policies.write' })));
      const m = modal(isNew ? 'Add rule' : `Edit rule ${r.name}`, form);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const rule = { name: ctl.name.value.trim(), effect: ctl.effect.value, priority: Number(ctl.priority.value || 0) };
        if (ctl.reason.value) rule.reason = ctl.reason.value;
        for (const [k, , input] of lists) {
          const v = splitList(input.value);
          if (v.length) rule[k] = v;
        }
        if (ctl.when.value.trim()) {
          try { rule.when = JSON.parse(ctl.when.value); } catch (e) { err.textContent = `Argument conditions: not JSON (${e.message})`; err.hidden = false; return; }
        }
        try {
          if (isNew) await ctx.api.post('/policies/rules', rule);
          else await ctx.api.put('/policies/rules/' + encodeURIComponent(r.name), rule);
          m.close();
          ctx.notify(`Rule ${rule.name} saved.`);
          await load();
        } catch (e) { err.textContent = e.message; err.hidden = false; }
      });
    }

    // The dry-run form: tool, role, application, arguments → decision and the steps.
    const [toolList, roleList] = await Promise.all([
      ctx.api.get('/tools').then((x) => x.items || []).catch(() => []),
      ctx.can('roles.read') ? ctx.api.get('/roles').then((x) => x.items || x || []).catch(() => []) : Promise.resolve([]),
    ]);
    const tool = h('input', { name: 'tool', list: 'dry-tools', required: true, value: ctx.params.get('tool') || '' });
    const role = roleList.length
      ? select({ name: 'role' }, [['', '(any)'], ...roleList.map((x) => x.name)], '')
      : h('input', { name: 'role' });
    const app = h('input', { name: 'application' });
    const args = h('textarea', { name: 'arguments', rows: 4, class: 'mono', spellcheck: 'false', placeholder: '{"path": "/srv/data/a.txt"}' });
    const out = h('div', { 'aria-live': 'polite' });
    const dform = h('form', { class: 'form-grid', 'aria-label': 'Dry run' },
      h('datalist', { id: 'dry-tools' }, toolList.map((t) => h('option', { value: t.name }))),
      field('Tool', tool, 'exposed name'), field('Role', role), field('Application', app), field('Arguments (JSON object)', args),
      h('div', { class: 'actions' }, button('Explain', null, { type: 'submit', kind: 'primary' })));
    replace(dry, dform, out);
    dform.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const body = formData(dform);
      if (body.arguments) {
        try { body.arguments = JSON.parse(body.arguments); } catch (e) { replace(out, h('p', { class: 'notice bad', role: 'alert' }, `Arguments: not JSON (${e.message})`)); return; }
      }
      try {
        const ex = await ctx.api.post('/policies/dry-run', body);
        const d = ex.decision || {};
        replace(out,
          h('p', { class: `notice ${d.effect === 'deny' ? 'bad' : 'ok'}`, 'data-testid': 'dry-decision' },
            h('strong', {}, d.effect === 'deny' ? 'Denied' : 'Allowed'), ` by ${d.rule || 'the default'}`, d.reason ? ` — ${d.reason}` : '',
            ex.visible === false ? ' (the tool is hidden from this caller\'s tools/list)' : ''),
          table([
            { label: 'Rule', cell: (s) => h('span', { class: 'mono' }, s.rule) },
            { label: 'Priority', class: 'num', cell: (s) => String(s.priority) },
            { label: 'Effect', cell: (s) => s.effect },
            { label: 'Matched', cell: (s) => s.matched ? badge('yes', 'info') : badge('no', 'muted') },
            { label: 'Why', cell: (s) => s.why },
          ], ex.steps || [], { caption: 'Rules considered, in order', empty: 'No rule was considered: the default decides.' }));
      } catch (e) { replace(out, h('p', { class: 'notice bad', role: 'alert' }, e.message)); }
    });

    await load();
  },
};
