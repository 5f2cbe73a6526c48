// The Usage page: calls, errors and latency over time as charts, grouped by tool or agent.
import { findTool, callTool } from './mcp.mjs';

export default [
  {
    name: 'owner sees calls drawn by tool and by backend',
    async run(t) {
      const tool = await findTool(t, 'echo', 'everything');
      for (let i = 0; i < 3; i++) await callTool(t.config, t.config.ownerKey, tool, { message: `usage ${i}` });
      const page = await t.page();
      await t.signIn(page, 'owner');
      await t.go(page, 'usage', 'Usage');
      await page.getByRole('img', { name: /Calls, errors and denials per minute/ }).waitFor();
      await page.getByRole('img', { name: /Mean call latency/ }).waitFor();
      await t.until('the echo tool among the top tools', async () => (await page.getByRole('listitem').filter({ hasText: tool }).count()) > 0);
      const drawn = await page.locator('svg.chart polyline.series-0').count();
      t.check(drawn >= 1, 'no calls line drawn');
      await t.shots(page, 'usage');
      await page.getByLabel('Group by').selectOption('backend');
      await t.until('grouped by backend', async () => (await page.getByRole('columnheader', { name: 'Backend' }).count()) > 0);
      await page.getByRole('listitem').filter({ hasText: 'everything' }).first().waitFor();
    },
  },
];
