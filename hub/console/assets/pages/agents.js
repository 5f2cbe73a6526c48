// Agents: enrolled agents and their state; enroll (the key shown once, with the one-line
// install command for each OS), rotate its key (the new key shown once; the old ones stop
// working and an agent connected with one is cut off), revoke; per agent its backends and
// tools.
import { h, replace, card, table, badge, button, field, modal, secret, snippet, confirmDialog, ago, time } from '../lib/dom.js';
import { lastSeen, restarts } from './overview.js';

export default {
  id: 'agents',
  title: 'Agents',
  perm: 'agents.read',
  async render(view, ctx) {
    const list = h('div', { class: 'part' }, h('p', { class: 'muted' }, 'Loading…'));
    const detail = h('div', { class: 'part' });
    if (ctx.can('agents.write')) view.append(enrollCard(ctx, refresh));
    view.append(card('Enrolled agents', list));
    view.append(detail);
    let selected = ctx.params.get('id') || '';

    async function refresh(opts) {
      const [agents, backends, tools] = await Promise.all([
        ctx.api.get('/agents', opts),
        ctx.can('backends.read') ? ctx.api.get('/backends', opts) : null,
        ctx.can('tools.read') ? ctx.api.get('/tools', opts) : null,
      ]);
      if (!ctx.alive()) return;
      replace(list, agentsTable(agents.items));
      const a = agents.items.find((x) => x.id === selected);
      replace(detail, a ? agentDetail(a, backends, tools) : '');
    }

    function agentsTable(items) {
      return table([
        { label: 'Agent', cell: (a) => button(a.id, () => { selected = a.id; history.replaceState(null, '', '#/agents?id=' + encodeURIComponent(a.id)); refresh(); },
          { kind: 'ghost small', 'aria-label': `Show agent ${a.id}`, 'aria-pressed': String(a.id === selected) }) },
        { label: 'State', cell: (a) => a.revoked_at ? badge('revoked', 'bad') : a.connected ? badge('online', 'ok') : badge('offline', 'muted') },
        { label: 'Version', cell: (a) => a.session ? a.session.version : '—' },
        { label: 'Connected / last seen', cell: lastSeen },
        { label: 'Address', cell: (a) => a.session ? h('span', { class: 'mono' }, a.session.remote_addr) : '—' },
        { label: 'Fighting', cell: (a) => a.session && a.session.fighting ? badge('fighting', 'bad') : '' },
        { label: 'Enrolled', cell: (a) => time(a.created_at) },
        ...(ctx.can('agents.write') ? [{ label: 'Actions', cell: (a) => a.revoked_at ? '' : h('div', { class: 'row' },
          button('Rotate key', () => rotate(a), { kind: 'small', perm: 'agents.write', 'aria-label': `Rotate key of agent ${a.id}` }),
          button('Revoke', () => revoke(a), { kind: 'small danger', perm: 'agents.write', 'aria-label': `Revoke agent ${a.id}` })) }] : []),
      ], items, { caption: 'Enrolled agents', empty: 'No agent is enrolled yet.' });
    }

    async function rotate(a) {
      if (!await confirmDialog('Rotate agent key', `Give agent ${a.id} a new key? Its current key stops working at once; a running agent with it is disconnected until it is set up with the new key. Its id and tool names stay.`, 'Rotate key')) return;
      try {
        const r = await ctx.api.post('/agents/' + encodeURIComponent(a.id) + '/rotate-key');
        let hub = '';
        try { hub = (await ctx.api.get('/connect')).hub_url; } catch { /* the command is left out */ }
        const q = (x) => "'" + x.replace(/'/g, "'\\''") + "'";
        modal(`New key for ${a.id}`,
          h('p', { class: 'notice warn' }, 'This key is shown once. Put it in the agent\'s configuration now: the hub keeps only its hash.'),
          secret(r.key, `new key of agent ${a.id}`),
          h('p', {}, `${r.revoked_keys} old key(s) revoked${r.disconnected ? '; the agent was disconnected' : ''}.`),
          hub ? [h('p', {}, 'On the agent\'s machine:'), snippet(`MCPGW_API_KEY=${q(r.key)} mcp-gateway-agent setup --hub ${q(hub)} --agent-id ${q(a.id)}`, 'setup command')] : null);
        ctx.notify(`Agent ${a.id} has a new key.`);
      } catch (e) { ctx.notify(`Rotate failed: ${e.message}`, 'bad'); }
      await refresh();
    }

    async function revoke(a) {
      if (!await confirmDialog('Revoke agent', `Revoke agent ${a.id}? Its key stops working at once and it is disconnected; it cannot be enrolled again under this id.`, 'Revoke')) return;
      try {
        await ctx.api.del('/agents/' + encodeURIComponent(a.id));
        ctx.notify(`Agent ${a.id} revoked.`);
      } catch (e) { ctx.notify(`Revoke failed: ${e.message}`, 'bad'); }
      await refresh();
    }

    await ctx.poll(refresh, 5000);
  },
};

function agentDetail(a, backends, tools) {
  const mine = (backends ? backends.items : []).filter((b) => b.agent === a.id);
  const its = (tools ? tools.items : []).filter((t) => t.agent === a.id);
  return card(`Agent ${a.id}`,
    h('p', {}, a.connected ? badge('online', 'ok') : badge('offline', 'muted'), ' ',
      a.session ? `version ${a.session.version}, connected ${ago(a.session.connected_since)} from ${a.session.remote_addr}`
        : a.last_seen ? `not connected; last seen ${ago(a.last_seen)} (${time(a.last_seen)})` : 'not connected; never seen'),
    h('h3', {}, 'Backends'),
    backends ? table([
      { label: 'Backend', cell: (b) => h('span', { class: 'mono' }, b.name) },
      { label: 'Transport', cell: (b) => b.transport || '—' },
      { label: 'Health', cell: (b) => badge(b.state, b.state === 'ready' ? 'ok' : 'warn') },
      { label: 'Breaker', cell: (b) => b.calls ? b.calls.breaker : '—' },
      { label: 'Restarts', class: 'num', cell: restarts },
      { label: 'Last error', cell: (b) => b.error || b.last_error || '' },
      { label: 'Tools', class: 'num', cell: (b) => String(b.tools) },
    ], mine, { caption: `Backends of ${a.id}`, empty: 'No backend reported.' }) : h('p', { class: 'muted' }, 'Backends need backends.read.'),
    h('h3', {}, `Tools (${its.length})`),
    tools ? table([
      { label: 'Tool', cell: (t) => h('span', { class: 'mono' }, t.name) },
      { label: 'Backend', cell: (t) => t.backend },
      { label: 'Risk', cell: (t) => badge(t.risk, t.risk === 'destructive' || t.risk === 'exec' ? 'bad' : t.risk === 'read' ? 'ok' : 'warn') },
      { label: 'State', cell: (t) => t.disabled ? badge('disabled', 'muted') : t.quarantined ? badge('quarantined', 'bad') : badge('enabled', 'ok') },
    ], its, { caption: `Tools of ${a.id}`, empty: 'No tool.' }) : '');
}

// enrollCard: the form to enroll an agent id. The answer's key is shown once, in a
// dialog, with the install commands that carry it.
function enrollCard(ctx, refresh) {
  const input = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9][A-Za-z0-9_\\-]{0,47}', maxlength: 48, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'toolbar' },
    field('New agent id', input, 'Up to 48 letters, digits, \'-\' and \'_\'; usually the machine\'s name.'),
    h('button', { type: 'submit', class: 'btn primary', 'data-write': 'agents.write' }, 'Enroll agent'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const res = await ctx.api.post('/agents', { id: input.value.trim() });
      input.value = '';
      let hub = '';
      try { hub = (await ctx.api.get('/connect')).hub_url; } catch { /* shown below without a URL */ }
      showKey(res, hub);
      await refresh();
    } catch (e) { ctx.notify(`Enroll failed: ${e.message}`, 'bad'); }
  });
  return card('Enroll an agent', form);
}

export function installCommands(hub, id, key) {
  const q = (s) => "'" + s.replace(/'/g, "'\\''") + "'";
  const ps = (s) => "'" + s.replace(/'/g, "''") + "'";
  return [
    ['Linux and macOS', `curl -fsSL ${hub}/install.sh | MCPGW_ENROLL=${q(key)} sh -s -- --agent-id ${q(id)}`],
    ['Windows (PowerShell)', `$env:MCPGW_ENROLL = ${ps(key)}; & ([scriptblock]::Create((irm ${hub}/install.ps1))) -AgentId ${ps(id)}`],
    ['Already installed', `MCPGW_API_KEY=${q(key)} mcp-gateway-agent setup --hub ${q(hub)} --agent-id ${q(id)}`],
  ];
}

function showKey(res, hub) {
  const cmds = hub ? installCommands(hub, res.id, res.key) : [];
  modal(`Agent ${res.id} enrolled`,
    h('p', { class: 'notice warn' }, 'This key is shown once. Copy it now: the hub keeps only its hash.'),
    secret(res.key, `agent key of ${res.id}`),
    hub ? h('div', {}, cmds.map(([os, cmd]) => [h('h3', {}, os), snippet(cmd, `install command for ${os}`)]))
      : h('p', { class: 'muted' }, 'The hub\'s URL is unknown (set public_url): see docs/INSTALL.md for the install commands.'));
}
