// Connect: each AI client's configuration entry for this hub, from GET /connect (the
// code behind `mcp-gateway-hub connect CLIENT`). The key stays out of the entry: the
// client reads it from an environment variable, or the entry says <MCP key>.
import { h, replace, card, field, snippet, button } from '../lib/dom.js';
import { qs } from '../lib/api.js';

export default {
  id: 'connect',
  title: 'Connect',
  perm: null,
  async render(view, ctx) {
    const name = h('input', { name: 'name', value: 'mcp-gateway', autocomplete: 'off', spellcheck: 'false' });
    const keyEnv = h('input', { name: 'key_env', value: 'MCP_GATEWAY_KEY', autocomplete: 'off', spellcheck: 'false' });
    const form = h('form', { class: 'toolbar' },
      field('Server name in the client', name),
      field('Key variable', keyEnv, 'The environment variable the client reads the MCP key from.'),
      h('button', { type: 'submit', class: 'btn' }, 'Show entries'));
    const out = h('div', {});
    const intro = h('p', {});
    view.append(card('Connect an AI client', intro,
      h('p', { class: 'muted' }, 'Each client needs an API key of scope mcp (Users & keys → New API key). Keep the key in the variable named below rather than in the file.'),
      form), out);

    async function load() {
      const info = await ctx.api.get('/connect' + qs({ name: name.value.trim(), key_env: keyEnv.value.trim() }));
      if (!ctx.alive()) return;
      replace(intro, 'The hub\'s MCP endpoint is ', h('code', { class: 'mono' }, info.mcp_url), '.');
      const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'AI clients' });
      const panel = h('div', { role: 'tabpanel', tabindex: 0 });
      const buttons = info.clients.map((c, i) => {
        const b = h('button', { type: 'button', role: 'tab', id: 'tab-' + c.client, 'aria-controls': 'connect-panel', 'aria-selected': 'false', tabindex: -1 }, c.title);
        b.addEventListener('click', () => show(i));
        b.addEventListener('keydown', (ev) => {
          const d = ev.key === 'ArrowRight' ? 1 : ev.key === 'ArrowLeft' ? -1 : 0;
          if (d) { ev.preventDefault(); show((i + d + info.clients.length) % info.clients.length, true); }
        });
        return b;
      });
      panel.id = 'connect-panel';
      tabs.append(...buttons);
      function show(i, focus) {
        const c = info.clients[i];
        buttons.forEach((b, j) => { b.setAttribute('aria-selected', String(i === j)); b.tabIndex = i === j ? 0 : -1; });
        if (focus) buttons[i].focus();
        panel.setAttribute('aria-labelledby', buttons[i].id);
        replace(panel,
          h('p', {}, `${c.title} (`, h('code', { class: 'mono' }, `mcp-gateway-hub connect ${c.client}`), `): a ${c.format.toUpperCase()} entry.`),
          snippet(c.snippet, `${c.title} entry`),
          c.embeds_key ? h('p', { class: 'notice warn' }, 'This client cannot read the key from the environment: replace <MCP key> with the key itself, and keep the file private.') : null,
          (c.hints || []).length ? h('ul', { class: 'hints' }, c.hints.map((t) => h('li', {}, t))) : null);
      }
      const want = ctx.params.get('client');
      show(Math.max(0, info.clients.findIndex((c) => c.client === want)));
      replace(out, card('Client entries', tabs, panel));
    }
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try { await load(); } catch (e) { ctx.notify(e.message, 'bad'); }
    });
    await load();
  },
};
