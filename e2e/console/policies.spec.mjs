// The Policies page: an operator adds a deny rule through the form, the dry run names it,
// a real client's call is denied by it and the Audit page shows the rule; the rule is
// deleted through the page again. A viewer reads rules and runs dry runs, nothing more.
import { findTool, callTool } from './mcp.mjs';

const RULE = 'console-deny-echo';

export default [
  {
    name: 'operator adds a rule, the dry run and the audit name it',
    async run(t) {
      const tool = await findTool(t, 'echo', 'everything');
      t.check(tool !== '', 'no echo tool on the hub-local everything backend');
      const page = await t.page();
      await t.signIn(page, 'operator');
      await t.go(page, 'policies', 'Policies');
      await page.getByRole('button', { name: 'Add rule' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByLabel('Name').fill(RULE);
      await dlg.getByLabel('Effect').selectOption('deny');
      await dlg.getByLabel('Priority').fill('500');
      await dlg.getByLabel('Reason').fill('echo is off limits in this test');
      await dlg.getByLabel('Tools').fill(tool);
      await dlg.getByRole('button', { name: 'Add rule' }).click();
      await page.locator('table.data').getByText(RULE).waitFor();

      // Dry run: the new rule decides.
      await page.getByLabel('Tool', { exact: true }).fill(tool);
      await page.getByLabel('Arguments (JSON object)').fill('{"message": "hi"}');
      await page.getByRole('button', { name: 'Explain' }).click();
      const decision = page.locator('[data-testid="dry-decision"]');
      await decision.waitFor();
      const text = await decision.textContent();
      t.check(text.includes('Denied') && text.includes(RULE), `dry run: ${text}`);
      await t.shots(page, 'policies');

      // A real client's call is denied, and the audit names the rule.
      const res = await callTool(t.config, t.config.ownerKey, tool, { message: 'hi' });
      t.check(res.error || res.isError, `the call was not denied: ${JSON.stringify(res)}`);
      await t.go(page, 'audit', 'Audit');
      await page.getByLabel('Tool', { exact: true }).fill(tool);
      await page.getByLabel('Decision').selectOption('deny');
      await page.getByRole('button', { name: 'Search' }).click();
      await t.until('the denied call in the audit view', async () => {
        await page.reload();
        await page.locator('h1.page-title', { hasText: 'Audit' }).waitFor();
        return (await page.locator('table.data').getByText(`deny (${RULE})`).count()) > 0;
      });

      // Delete the rule through the page; the call goes through again.
      await t.go(page, 'policies', 'Policies');
      await page.getByRole('button', { name: `Delete rule ${RULE}` }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByText(`Rule ${RULE} deleted.`).waitFor();
      const ok = await callTool(t.config, t.config.ownerKey, tool, { message: 'hi' });
      t.check(!ok.error && !ok.isError, `call after the rule was deleted: ${JSON.stringify(ok)}`);
    },
  },
  {
    name: 'viewer has no policies page and the API refuses it',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'viewer');
      t.check(await page.locator('nav.nav a[data-page="policies"]').count() === 0, 'the viewer has a Policies link');
      const read = await t.fetchIn(page, '../api/v1/policies');
      t.check(read.status === 403, `viewer's GET /policies: ${read.status}`);
      const csrf = (await t.fetchIn(page, 'session')).body.csrf_token;
      const r = await t.fetchIn(page, '../api/v1/policies/rules', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ name: 'viewer-rule', effect: 'allow' }) });
      t.check(r.status === 403, `viewer's rule POST: ${r.status}`);
    },
  },
];
