// The Audit page: search by tool and user, open a call's detail (hashes, decision,
// latency), export the search as CSV and NDJSON; a viewer sees only their own events.
import { findTool, callTool, writeControlsFor } from './mcp.mjs';

export default [
  {
    name: 'owner searches the audit, opens a call and exports it',
    async run(t) {
      const tool = await findTool(t, 'echo', 'everything');
      const res = await callTool(t.config, t.config.ownerKey, tool, { message: 'audit me' });
      t.check(!res.error && !res.isError, `echo call: ${JSON.stringify(res)}`);
      const page = await t.page();
      await t.signIn(page, 'owner');
      await t.go(page, 'audit', 'Audit');
      await page.getByLabel('Tool', { exact: true }).fill(tool);
      await page.getByLabel('Kind').selectOption('call');
      await page.getByRole('button', { name: 'Search' }).click();
      await t.until('the call in the results', async () => {
        await page.reload();
        await page.locator('h1.page-title', { hasText: 'Audit' }).waitFor();
        return (await page.locator('table.data td', { hasText: tool }).count()) > 0;
      });
      t.check(page.url().includes('tool=' + encodeURIComponent(tool)), `the search is not in the URL: ${page.url()}`);
      await page.getByRole('button', { name: /^Details of event/ }).first().click();
      const dlg = page.getByRole('dialog');
      await dlg.getByText('Request hash').waitFor();
      for (const k of ['Latency', 'Status', 'Kind']) t.check(await dlg.getByText(k, { exact: true }).count() > 0, `detail lacks ${k}`);
      await t.shots(page, 'audit-detail');
      await dlg.getByRole('button', { name: 'Close dialog' }).click();

      // The export links carry the same filters.
      const csvHref = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
      const csv = await t.fetchIn(page, csvHref);
      const lines = String(csv.body).trim().split('\n');
      t.check(csv.status === 200 && lines[0].startsWith('id,time,kind') && lines.length >= 2 && lines.slice(1).every((l) => l.includes(tool)), `csv export: ${csv.status} ${lines.slice(0, 3).join(' / ')}`);
      const ndHref = await page.getByRole('link', { name: 'Export NDJSON' }).getAttribute('href');
      const nd = await t.fetchIn(page, ndHref);
      const first = JSON.parse(String(typeof nd.body === 'string' ? nd.body : JSON.stringify(nd.body)).trim().split('\n')[0]);
      t.check(nd.status === 200 && first.tool === tool, `ndjson export: ${nd.status} ${JSON.stringify(first)}`);
      await t.shots(page, 'audit');
    },
  },
  {
    name: 'viewer sees only their own events',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'viewer');
      await t.go(page, 'audit', 'Audit');
      await page.getByText('You see your own events only.').waitFor();
      t.check(await page.getByLabel('User').count() === 0, 'the viewer gets a user filter');
      // The API binds the query to the viewer whatever the page sends.
      const me = (await t.fetchIn(page, '../api/v1/auth/me')).body;
      const r = await t.fetchIn(page, '../api/v1/audit?limit=1000');
      t.check(r.status === 200 && (r.body.items || []).every((e) => e.user_id === me.id), `viewer's audit query: ${r.status}`);
      const other = await t.fetchIn(page, '../api/v1/audit?user=someone-else');
      t.check(other.status === 403, `viewer asking for another user's events: ${other.status}`);
      const bad = await writeControlsFor(t, page);
      t.check(bad.length === 0, `viewer sees write controls: ${bad.join(', ')}`);
    },
  },
];
