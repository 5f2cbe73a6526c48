// Every page of the console: it loads for each role, axe-core finds no serious violation
// at 1280 and 390 px, nothing overflows, and the screenshots are taken.
import { ask } from './harness.mjs';

export default [
  {
    name: 'overview shows agents, backends, calls and the audit queue live',
    async run(t) {
      // A few calls, so the numbers are not all zero.
      for (let i = 0; i < 3; i++) await mcpCall(t, 'everything__echo', { message: 'hi ' + i });
      // A hub-local backend where nothing listens: it fails and is restarted, again and again.
      await t.api('POST', '/backends/down', { transport: 'http', url: 'http://127.0.0.1:1/mcp' });
      const page = await t.page();
      await t.signIn(page, 'owner');
      await t.go(page, 'overview', 'Overview');
      await page.getByRole('cell', { name: 'laptop' }).first().waitFor();
      const down = page.getByRole('table', { name: 'Backends' }).getByRole('row', { name: /\bdown\b/ });
      await t.until('the failing backend\'s restarts shown', async () => /^[1-9]\d* \(last .* ago\)$/.test((await down.getByRole('cell').nth(6).textContent()).trim()));
      t.check((await page.locator('.stat', { hasText: 'backend restarts' }).count()) === 1, 'no "backend restarts" on the overview');
      t.check((await page.getByRole('columnheader', { name: 'Breaker', exact: true }).count()) === 1, 'no breaker column');
      await t.until('calls per minute above zero', async () => {
        const v = await page.locator('.stat', { hasText: 'calls / min' }).locator('.stat-value').textContent();
        return parseFloat(v) > 0;
      });
      for (const label of ['agents online', 'backends ready', 'audit queue', 'error rate', 'hub version']) {
        t.check((await page.locator('.stat', { hasText: label }).count()) === 1, `no "${label}" on the overview`);
      }
      t.check((await page.getByRole('table', { name: 'Backends' }).count()) === 1, 'no backends table');
      await t.shots(page, 'overview');
      await t.api('DELETE', '/backends/down');
    },
  },
  {
    name: 'viewer overview and pages',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'viewer');
      await t.go(page, 'overview', 'Overview');
      await page.getByRole('heading', { name: 'Your recent denials' }).waitFor();
      t.check((await page.locator('.stat', { hasText: 'agents online' }).count()) === 0, 'a viewer sees the agents');
      await t.shots(page, 'overview-viewer');
      await t.go(page, 'users', 'Users & keys');
      await page.getByRole('heading', { name: 'Your API keys' }).waitFor();
      t.check((await page.getByRole('heading', { name: 'Users', exact: true }).count()) === 0, 'a viewer sees the users');
      await t.shots(page, 'users-viewer');
    },
  },
  {
    name: 'users, roles and keys',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'owner');
      await t.go(page, 'users', 'Users & keys');
      await page.getByRole('cell', { name: 'console-viewer', exact: true }).waitFor();
      // Create a user.
      await page.getByText('New user').click();
      const uform = page.locator('details.create', { hasText: 'New user' });
      await uform.getByLabel('Name', { exact: true }).fill('ui-made');
      await uform.getByLabel('Role').selectOption('operator');
      await uform.getByLabel('Password').fill('a long enough password');
      await uform.getByRole('button', { name: 'Create user' }).click();
      await page.getByRole('cell', { name: 'ui-made', exact: true }).waitFor();
      // Disable it.
      await page.getByRole('button', { name: 'Disable user ui-made' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
      await page.getByRole('button', { name: 'Enable user ui-made' }).waitFor();
      const users = await t.api('GET', '/users');
      t.check(users.items.find((u) => u.name === 'ui-made').disabled, 'the user is not disabled in the API');
      // Reset its password.
      await page.getByRole('button', { name: 'Reset password of ui-made' }).click();
      await page.getByRole('dialog').getByLabel('New password').fill('another long password');
      await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
      await page.getByText('Password of ui-made reset.').waitFor();
      // A key for an application, scope mcp, 7 days.
      await page.getByText('New API key').click();
      const form = page.locator('details.create', { hasText: 'New API key' });
      await form.getByLabel('Name', { exact: true }).fill('ui-key');
      await form.getByLabel('Application').fill('cursor');
      await form.getByLabel('Expires in').selectOption('168h');
      await form.getByRole('button', { name: 'Create key' }).click();
      const dlg = page.getByRole('dialog');
      const key = (await dlg.locator('code.secret').textContent()).trim();
      t.check(key.startsWith('mcpgw_'), `the dialog shows ${key}`);
      await t.shots(page, 'key-created');
      await dlg.getByRole('button', { name: 'Close dialog' }).click();
      const row = page.getByRole('row', { name: /ui-key/ });
      await row.waitFor();
      t.check((await row.textContent()).includes('cursor'), 'the key row lacks its application');
      // The key works for MCP (scope mcp).
      const r = await mcpCall(t, 'everything__echo', { message: 'with ui key' }, key);
      t.check(r.ok, `the new key's MCP call: ${r.status}`);
      await page.getByRole('button', { name: 'Revoke key ui-key' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
      await row.getByText('revoked').waitFor();
      await t.shots(page, 'users');
    },
  },
  {
    name: 'connect shows each client entry',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'viewer');
      await t.go(page, 'connect', 'Connect');
      await page.getByRole('tab', { name: 'Cursor' }).click();
      const text = await page.getByRole('tabpanel').locator('pre').textContent();
      t.check(text.includes(t.config.url + '/mcp') && text.includes('${env:MCP_GATEWAY_KEY}'), `Cursor entry: ${text}`);
      // Keyboard: arrow keys move between the tabs.
      await page.getByRole('tab', { name: 'Cursor' }).focus();
      await page.keyboard.press('ArrowRight');
      const sel = await page.getByRole('tab', { selected: true }).textContent();
      t.check(sel !== 'Cursor', 'ArrowRight did not move the tab');
      await page.getByRole('tab', { name: 'Codex CLI' }).click();
      const codex = await page.getByRole('tabpanel').locator('pre').textContent();
      t.check(codex.includes('bearer_token_env_var = "MCP_GATEWAY_KEY"'), `Codex entry: ${codex}`);
      await t.shots(page, 'connect');
    },
  },
  {
    name: 'sign-in page',
    async run(t) {
      const page = await t.page();
      await page.goto(t.config.ui);
      await page.getByLabel('User name').waitFor();
      await t.shots(page, 'signin');
      // Keyboard only: tab to the fields, type, Enter.
      await page.getByLabel('User name').focus();
      await page.keyboard.type(t.config.users.operator.name);
      await page.keyboard.press('Tab');
      await page.keyboard.type(t.config.users.operator.password);
      await page.keyboard.press('Enter');
      await page.locator('nav.nav').waitFor();
    },
  },
];

// mcpCall makes one tools/call through /mcp with key (the owner's by default).
export async function mcpCall(t, tool, args, key = t.config.ownerKey) {
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  const post = (body, sid) => fetch(t.config.url + '/mcp', { method: 'POST', headers: sid ? { ...headers, 'Mcp-Session-Id': sid } : headers, body: JSON.stringify(body) });
  let r = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'console-test', version: '1' } } });
  if (!r.ok) return r;
  const sid = r.headers.get('mcp-session-id');
  await r.text();
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).text();
  r = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: tool, arguments: args } }, sid);
  await r.text();
  return r;
}

