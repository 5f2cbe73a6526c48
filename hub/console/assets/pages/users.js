// Users, roles and keys. Users (users.read): create, disable/enable, change role, reset
// password (users.write). Keys: the caller's own (keys.read.own), every user's with
// keys.read.all; create with application, scope, role and expiry; revoke. Roles: read.
import { h, replace, card, table, badge, button, field, select, modal, secret, confirmDialog, formData, time, ago } from '../lib/dom.js';
import { qs } from '../lib/api.js';

export default {
  id: 'users',
  title: 'Users & keys',
  perm: null,
  async render(view, ctx) {
    const roles = ctx.can('roles.read') ? (await ctx.api.get('/roles')).items || [] : [];
    const roleNames = roles.length ? roles.map((r) => r.name) : ['owner', 'operator', 'viewer'];
    let users = [];
    const usersPart = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
    const keysPart = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));

    if (ctx.can('users.read')) {
      const body = [];
      if (ctx.can('users.write')) body.push(createUserForm());
      body.push(usersPart);
      view.append(card('Users', ...body));
    }
    const keyBody = [];
    if (ctx.can('keys.write.own')) keyBody.push(createKeyForm());
    keyBody.push(keysPart);
    view.append(card(ctx.can('keys.read.all') ? 'API keys (every user)' : 'Your API keys', ...keyBody));
    if (roles.length) view.append(card('Roles', rolesTable(roles)));

    async function loadUsers() {
      if (!ctx.can('users.read')) return;
      users = (await ctx.api.get('/users')).items || [];
      if (!ctx.alive()) return;
      replace(usersPart, table([
        { label: 'User', cell: (u) => u.name },
        { label: 'Role', cell: (u) => badge(u.role, 'info') },
        { label: 'State', cell: (u) => u.disabled ? badge('disabled', 'bad') : u.locked_until && new Date(u.locked_until) > new Date() ? badge('locked', 'warn') : badge('active', 'ok') },
        { label: 'Password', cell: (u) => u.has_password ? 'set' : badge('none', 'muted') },
        { label: 'Created', cell: (u) => time(u.created_at) },
        ...(ctx.can('users.write') ? [{ label: 'Actions', cell: (u) => u.id === ctx.me.id ? h('span', { class: 'muted' }, 'you') : h('div', { class: 'row' },
          button(u.disabled ? 'Enable' : 'Disable', () => setDisabled(u, !u.disabled), { kind: 'small' + (u.disabled ? '' : ' danger'), perm: 'users.write', 'aria-label': `${u.disabled ? 'Enable' : 'Disable'} user ${u.name}` }),
          button('Reset password', () => resetPassword(u), { kind: 'small', perm: 'users.write', 'aria-label': `Reset password of ${u.name}` }),
          button('Change role', () => changeRole(u), { kind: 'small', perm: 'users.write', 'aria-label': `Change role of ${u.name}` })) }] : []),
      ], users, { caption: 'Users', empty: 'No user.' }));
    }

    async function loadKeys() {
      const keys = (await ctx.api.get('/api-keys' + qs({ user: ctx.can('keys.read.all') ? '*' : '' }))).items || [];
      if (!ctx.alive()) return;
      const owner = (k) => (users.find((u) => u.id === k.user_id) || {}).name || (k.user_id === ctx.me.id ? ctx.me.name : k.user_id);
      const canRevoke = (k) => !k.revoked_at && (k.user_id === ctx.me.id ? ctx.can('keys.write.own') : ctx.can('keys.write.all'));
      replace(keysPart, table([
        { label: 'Key', cell: (k) => h('span', {}, k.name, ' ', h('span', { class: 'mono muted' }, k.prefix + '…')) },
        ...(ctx.can('keys.read.all') ? [{ label: 'User', cell: owner }] : []),
        { label: 'Application', cell: (k) => k.application || '—' },
        { label: 'Scope', cell: (k) => badge(k.scope, k.scope === 'mcp' ? 'muted' : 'info') },
        { label: 'Role', cell: (k) => k.role || 'user\'s' },
        { label: 'Expires', cell: (k) => k.expires_at ? time(k.expires_at) : 'never' },
        { label: 'Last used', cell: (k) => k.last_used_at ? ago(k.last_used_at) : 'never' },
        { label: 'State', cell: (k) => k.revoked_at ? badge('revoked', 'bad') : k.expires_at && new Date(k.expires_at) < new Date() ? badge('expired', 'warn') : badge('active', 'ok') },
        { label: 'Actions', cell: (k) => canRevoke(k) ? button('Revoke', () => revokeKey(k), { kind: 'small danger', perm: k.user_id === ctx.me.id ? 'keys.write.own' : 'keys.write.all', 'aria-label': `Revoke key ${k.name}` }) : '' },
      ], keys, { caption: 'API keys', empty: 'No API key.' }));
    }

    function createUserForm() {
      const form = h('form', { class: 'form-grid' },
        field('Name', h('input', { name: 'name', required: true, autocomplete: 'off' })),
        field('Role', select({ name: 'role' }, roleNames, 'viewer')),
        field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }), 'Optional: without one the user signs in with keys only.'),
        h('div', { class: 'field' }, h('span', { class: 'sr-only' }, 'Submit'), h('button', { type: 'submit', class: 'btn primary', 'data-write': 'users.write' }, 'Create user')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          const u = await ctx.api.post('/users', formData(form));
          form.reset();
          ctx.notify(`User ${u.name} created.`);
          await loadUsers();
        } catch (e) { ctx.notify(`Create failed: ${e.message}`, 'bad'); }
      });
      return h('details', { class: 'create' }, h('summary', { 'data-write': 'users.write' }, 'New user'), form);
    }

    async function setDisabled(u, disabled) {
      if (disabled && !await confirmDialog('Disable user', `Disable ${u.name}? Their keys and sessions stop working at once.`, 'Disable')) return;
      try { await ctx.api.patch('/users/' + encodeURIComponent(u.id), { disabled }); ctx.notify(`${u.name} ${disabled ? 'disabled' : 'enabled'}.`); } catch (e) { ctx.notify(e.message, 'bad'); }
      await loadUsers();
    }

    function resetPassword(u) {
      const pw = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
      const form = h('form', {}, field('New password', pw, 'Tell the user; their current sessions end.'),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', 'data-write': 'users.write' }, 'Set password')));
      const m = modal(`Reset password of ${u.name}`, form);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try { await ctx.api.post('/users/' + encodeURIComponent(u.id) + '/password', { password: pw.value }); m.close(); ctx.notify(`Password of ${u.name} reset.`); } catch (e) { ctx.notify(e.message, 'bad'); m.close(); }
      });
    }

    function changeRole(u) {
      const sel = select({ name: 'role' }, roleNames, u.role);
      const form = h('form', {}, field('Role', sel),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary', 'data-write': 'users.write' }, 'Save role')));
      const m = modal(`Role of ${u.name}`, form);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try { await ctx.api.patch('/users/' + encodeURIComponent(u.id), { role: sel.value }); m.close(); ctx.notify(`${u.name} is now ${sel.value}.`); } catch (e) { m.close(); ctx.notify(e.message, 'bad'); }
        await loadUsers();
      });
    }

    function createKeyForm() {
      const forWhom = ctx.can('keys.write.all') && ctx.can('users.read')
        ? field('User', select({ name: 'user_id' }, [['', 'me'], ...users.filter((u) => u.id !== ctx.me.id).map((u) => [u.id, u.name])], ''))
        : null;
      const form = h('form', { class: 'form-grid' },
        field('Name', h('input', { name: 'name', required: true, autocomplete: 'off' }), 'What the key is for, e.g. cursor-laptop.'),
        forWhom,
        field('Application', h('input', { name: 'application', autocomplete: 'off' }), 'Optional: policies can match it.'),
        field('Scope', select({ name: 'scope' }, [['mcp', 'mcp: MCP calls only'], ['admin', 'admin: REST API only'], ['all', 'all: both']], 'mcp')),
        field('Role', select({ name: 'role' }, [['', 'the user\'s role'], ...roleNames.map((r) => [r, r])], '')),
        field('Expires in', select({ name: 'expires_in' }, [['', 'never'], ['24h', '1 day'], ['168h', '7 days'], ['720h', '30 days'], ['2160h', '90 days'], ['8760h', '1 year']], '720h')),
        h('div', { class: 'field' }, h('span', { class: 'sr-only' }, 'Submit'), h('button', { type: 'submit', class: 'btn primary', 'data-write': 'keys.write.own' }, 'Create key')));
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
          const k = await ctx.api.post('/api-keys', formData(form));
          form.reset();
          modal(`Key ${k.name} created`,
            h('p', { class: 'notice warn' }, 'This key is shown once. Copy it now: the hub keeps only its hash.'),
            secret(k.key, `key ${k.name}`),
            h('p', { class: 'muted' }, `Scope ${k.scope}${k.application ? ', application ' + k.application : ''}${k.expires_at ? ', expires ' + time(k.expires_at) : ''}. The Connect page shows how to use it in an AI client.`));
          await loadKeys();
        } catch (e) { ctx.notify(`Create failed: ${e.message}`, 'bad'); }
      });
      return h('details', { class: 'create' }, h('summary', { 'data-write': 'keys.write.own' }, 'New API key'), form);
    }

    async function revokeKey(k) {
      if (!await confirmDialog('Revoke key', `Revoke key ${k.name} (${k.prefix}…)? Clients using it are refused at once.`, 'Revoke')) return;
      try { await ctx.api.del('/api-keys/' + encodeURIComponent(k.id)); ctx.notify(`Key ${k.name} revoked.`); } catch (e) { ctx.notify(e.message, 'bad'); }
      await loadKeys();
    }

    await loadUsers();
    if (ctx.can('keys.write.own') && ctx.can('keys.write.all') && ctx.can('users.read')) {
      // The "User" choice of the key form needs the users: rebuild the form now they are loaded.
      const old = keyBody[0];
      const fresh = createKeyForm();
      old.replaceWith(fresh);
      keyBody[0] = fresh;
    }
    await loadKeys();
  },
};

function rolesTable(roles) {
  return table([
    { label: 'Role', cell: (r) => h('span', {}, r.name, r.built_in ? h('span', { class: 'muted' }, ' (built in)') : '') },
    { label: 'Description', cell: (r) => r.description || '—' },
    { label: 'Permissions', cell: (r) => h('span', { class: 'mono' }, (r.permissions || []).join(', ')) },
    { label: 'Tools', cell: (r) => [(r.tool_allow || []).length ? 'allow ' + r.tool_allow.join(', ') : '', (r.tool_deny || []).length ? ' deny ' + r.tool_deny.join(', ') : ''].join('') || 'all' },
  ], roles, { caption: 'Roles' });
}
