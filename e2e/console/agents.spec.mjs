// Enroll an agent in the console, start it with the key the console showed, see it online.
import { ask } from './harness.mjs';

export default [
  {
    name: 'enroll an agent and see it come online',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'operator');
      await t.go(page, 'agents', 'Agents');
      await page.getByLabel('New agent id').fill('ui-agent');
      await page.getByRole('button', { name: 'Enroll agent' }).click();
      const dlg = page.getByRole('dialog');
      const key = (await dlg.locator('code.secret').textContent()).trim();
      t.check(key.startsWith('mcpgw_'), `the dialog shows ${key}`);
      const cmds = await dlg.locator('pre.snippet').allTextContents();
      t.check(cmds.length === 3, `want 3 install commands, got ${cmds.length}`);
      t.check(cmds[0].includes(`${t.config.url}/install.sh`) && cmds[0].includes(key) && cmds[0].includes('--agent-id'), `Linux command: ${cmds[0]}`);
      t.check(cmds[1].includes(`${t.config.url}/install.ps1`) && cmds[1].includes('-AgentId'), `Windows command: ${cmds[1]}`);
      await t.shots(page, 'agent-enrolled');
      await dlg.getByRole('button', { name: 'Close dialog' }).click();
      await page.getByRole('row', { name: /ui-agent/ }).getByText('offline').waitFor();

      await ask('start-agent', { id: 'ui-agent', key });
      // The page polls every 5 s: the row turns online without a reload.
      await page.getByRole('row', { name: /ui-agent/ }).getByText('online').waitFor({ timeout: 60000 });
      await page.getByRole('button', { name: 'Show agent ui-agent' }).click();
      await page.getByRole('heading', { name: 'Agent ui-agent' }).waitFor();
      await t.until('ui-agent\'s echo tool listed', async () => (await page.getByRole('cell', { name: /ui-agent.*echo/ }).count()) > 0, 60000);
      t.check((await page.getByRole('table', { name: 'Backends of ui-agent' }).getByRole('cell', { name: 'everything', exact: true }).count()) === 1, 'no everything backend for ui-agent');
      await t.shots(page, 'agents');

      // Rotate: a new key shown once, the old one refused (the agent is cut off), the id kept.
      await page.getByRole('button', { name: 'Rotate key of agent ui-agent' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate key' }).click();
      const rdlg = page.getByRole('dialog', { name: 'New key for ui-agent' });
      const newKey = (await rdlg.locator('code.secret').textContent()).trim();
      t.check(newKey.startsWith('mcpgw_') && newKey !== key, `rotated key ${newKey}`);
      const setup = await rdlg.locator('pre.snippet').textContent();
      t.check(setup.includes(newKey) && setup.includes("--agent-id 'ui-agent'"), `setup command: ${setup}`);
      await rdlg.getByRole('button', { name: 'Close dialog' }).click();
      await page.getByRole('row', { name: /ui-agent/ }).getByText('offline').waitFor({ timeout: 60000 });
      // Offline, it says when it was last seen (recorded by the hub as it left).
      await page.getByRole('row', { name: /ui-agent/ }).getByText(/^seen \d+ (s|min) ago$/).waitFor({ timeout: 60000 });
      await page.getByText(/not connected; last seen \d+ (s|min) ago/).waitFor();

      // Revoke: the agent goes offline and shows revoked.
      await page.getByRole('button', { name: 'Revoke agent ui-agent' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('row', { name: /ui-agent/ }).getByText('revoked').waitFor();
      const list = await t.api('GET', '/agents');
      const a = list.items.find((x) => x.id === 'ui-agent');
      t.check(a.revoked_at, 'the agent is not revoked in the API');
    },
  },
];
