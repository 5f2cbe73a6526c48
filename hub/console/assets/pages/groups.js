// Groups: the tool groups, each served at /mcp/<name> (and /sse/<name>), with their
// selectors and surface; the tools a group holds now; adding, editing and deleting the
// groups made through the API (hub.toml's are read-only). docs/GROUPS.md.
// API: GET /groups, GET /groups/{name}/tools, POST|PUT|DELETE /groups/{name}.
import { h, table, badge, button, card, field, select, modal, confirmDialog, replace } from '../lib/dom.js';

const LISTS = [
  ['tools', 'Tools', 'globs over exposed tool names, comma-separated, e.g. laptop__fs__*'],
  ['agents', 'Agents', 'agent ids, comma-separated'],
  ['backends', 'Backends', 'backend names, or agent/backend, comma-separated'],
  ['risks', 'Risks', 'read, write, external-api, admin, execute, destructive, unclassified'],
];

function splitList(s) {
  return (s || '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function selects(g) {
  const parts = [];
  for (const [k, label] of LISTS) if (g[k] && g[k].length) parts.push(`${label.toLowerCase()}: ${g[k].join(', ')}`);
  return parts.join('; ');
}

export default {
  id: 'groups',
  title: 'Groups',
  perm: 'groups.read',
  async render(view, ctx) {
    const write = ctx.can('groups.write');
    const head = h('div');
    const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    const members = h('div', { class: 'part' });
    view.append(card('Tool groups', head, list), members);
    let selected = ctx.params.get('name') || '';

    async function load() {
      const gs = await ctx.api.get('/groups');
      if (!ctx.alive()) return;
      replace(head,
        h('p', { class: 'muted' }, 'Each group is served at its own endpoint: its clients see and call only its tools.'),
        write ? h('div', { class: 'actions' }, button('Add group', () => edit(null), { kind: 'primary', perm: 'groups.write' })) : null);
      replace(list, table([
        { label: 'Group', cell: (g) => button(g.name, () => { selected = g.name; history.replaceState(null, '', '#/groups?name=' + encodeURIComponent(g.name)); load(); },
          { kind: 'ghost small', 'aria-label': `Show the tools of group ${g.name}`, 'aria-pressed': String(g.name === selected) }) },
        { label: 'Endpoint', cell: (g) => h('span', { class: 'mono' }, g.endpoint) },
        { label: 'Selects', cell: selects },
        { label: 'Surface', cell: (g) => badge(g.surface || 'hub default', g.surface === 'discovery' ? 'info' : 'muted') },
        { label: 'Source', cell: (g) => badge(g.source, g.source === 'api' ? 'ok' : 'muted') },
        { label: 'Description', cell: (g) => g.description || '' },
        ...(write ? [{ label: 'Actions', cell: (g) => g.source !== 'api' ? h('span', { class: 'muted' }, 'in hub.toml') : h('div', { class: 'row' },
          button('Edit', () => edit(g), { kind: 'small', perm: 'groups.write', 'aria-label': `Edit group ${g.name}` }),
          button('Delete', () => del(g), { kind: 'small danger', perm: 'groups.write', 'aria-label': `Delete group ${g.name}` })) }] : []),
      ], gs.items, { caption: 'Tool groups', empty: 'No tool group yet.' }));
      const g = gs.items.find((x) => x.name === selected);
      if (!g) { replace(members, ''); return; }
      let tools;
      try { tools = await ctx.api.get('/groups/' + encodeURIComponent(g.name) + '/tools'); }
      catch (e) { replace(members, card(`Tools of ${g.name}`, h('p', { class: 'notice bad' }, e.message))); return; }
      if (!ctx.alive()) return;
      replace(members, card(`Tools of ${g.name} (${tools.items.length})`,
        h('p', { class: 'muted' }, 'What the group holds now; each caller sees these as its role, the tools\' states and the policy allow.'),
        table([
          { label: 'Tool', cell: (t) => h('span', { class: 'mono' }, t.name) },
          { label: 'Agent', cell: (t) => t.agent || 'hub' },
          { label: 'Backend', cell: (t) => t.backend },
          { label: 'Risk', cell: (t) => badge(t.risk, t.risk === 'destructive' || t.risk === 'execute' ? 'bad' : t.risk === 'read' ? 'ok' : 'warn') },
        ], tools.items, { caption: `Tools of group ${g.name}`, empty: 'No tool belongs to this group now.' })));
    }

    async function del(g) {
      if (!await confirmDialog('Delete group', `Delete the group ${g.name}? Its endpoint ${g.endpoint} stops at once; keys limited to it reach nothing until a group of that name exists again.`, 'Delete')) return;
      try {
        await ctx.api.del('/groups/' + encodeURIComponent(g.name));
        ctx.notify(`Group ${g.name} deleted.`);
        if (selected === g.name) selected = '';
        await load();
      } catch (e) { ctx.notify(e.message, 'bad'); }
    }

    function edit(g) {
      const isNew = !g;
      g = g || {};
      const name = h('input', { name: 'name', value: g.name || '', required: true, readonly: !isNew, pattern: '[a-z0-9][a-z0-9_\\-]{0,62}', maxlength: 63, autocomplete: 'off', spellcheck: 'false' });
      const desc = h('input', { name: 'description', value: g.description || '' });
      const surface = select({ name: 'surface' }, [['', 'the hub\'s'], ['full', 'full: every tool of the group'], ['discovery', 'discovery: search, describe and call']], g.surface || '');
      const lists = LISTS.map(([k, label, hint]) => {
        const input = h('input', { name: k, value: (g[k] || []).join(', '), autocomplete: 'off', spellcheck: 'false' });
        return [k, field(label, input, hint), input];
      });
      const err = h('p', { class: 'notice bad', role: 'alert', hidden: true });
      const form = h('form', { class: 'form-grid' }, err,
        field('Name', name, isNew ? 'a-z, 0-9, - and _: the endpoint is /mcp/<name>' : 'the name is the endpoint'),
        field('Description', desc),
        lists.map(([, f]) => f),
        h('p', { class: 'muted' }, 'Each selector that is set narrows the group; within one, any value matches. Set at least one.'),
        field('Surface', surface, 'what the endpoint serves when the client\'s URL, key and application choose nothing'),
        h('div', { class: 'actions' }, button(isNew ? 'Add group' : 'Save group', null, { type: 'submit', kind: 'primary', perm: 'groups.write' })));
      const m = modal(isNew ? 'Add group' : `Edit group ${g.name}`, form);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = { description: desc.value.trim(), surface: surface.value };
        for (const [k, , input] of lists) body[k] = splitList(input.value);
        const path = '/groups/' + encodeURIComponent(name.value.trim());
        try {
          if (isNew) await ctx.api.post(path, body); else await ctx.api.put(path, body);
          m.close();
          ctx.notify(`Group ${name.value.trim()} saved.`);
          selected = name.value.trim();
          await load();
        } catch (e) { err.textContent = e.message; err.hidden = false; }
      });
    }

    await ctx.poll(load, 10000);
  },
};
