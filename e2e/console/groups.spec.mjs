// The Groups page: an operator adds a group through the form (tools by glob, the discovery
// surface), sees the tools it holds now, edits and deletes it, every step checked against
// the REST API. A viewer has no Groups page and the API refuses it.
export default [
  {
    name: 'operator adds, previews, edits and deletes a group',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'operator');
      await t.go(page, 'groups', 'Groups');
      await page.getByRole('button', { name: 'Add group' }).click();
      const dlg = page.getByRole('dialog');
      await dlg.getByLabel('Name', { exact: true }).fill('console-hub');
      await dlg.getByLabel('Description').fill("the hub's own everything tools");
      await dlg.getByLabel('Tools', { exact: true }).fill('everything__*');
      await dlg.getByLabel('Surface').selectOption('discovery');
      await dlg.getByRole('button', { name: 'Add group' }).click();
      // Saved and selected: the members preview lists the hub-local everything tools only.
      const members = page.getByRole('table', { name: 'Tools of group console-hub' });
      await members.getByRole('cell', { name: 'everything__echo', exact: true }).waitFor();
      const names = await members.locator('tbody tr td:first-child').allTextContents();
      t.check(names.length > 3 && names.every((n) => n.startsWith('everything__')), `members ${names}`);
      let g = (await t.api('GET', '/groups')).items.find((x) => x.name === 'console-hub');
      t.check(g && g.surface === 'discovery' && g.tools.join() === 'everything__*' && g.source === 'api', `API: ${JSON.stringify(g)}`);
      const api = (await t.api('GET', '/groups/console-hub/tools')).items.map((x) => x.name).sort();
      t.check(api.join() === [...names].sort().join(), `preview ${names} vs API ${api}`);
      await t.shots(page, 'groups');

      // Edit: one tool, the hub's surface.
      await page.getByRole('button', { name: 'Edit group console-hub' }).click();
      await dlg.getByLabel('Tools', { exact: true }).fill('everything__echo');
      await dlg.getByLabel('Surface').selectOption('');
      await dlg.getByRole('button', { name: 'Save group' }).click();
      await page.getByRole('heading', { name: 'Tools of console-hub (1)' }).waitFor();
      g = (await t.api('GET', '/groups')).items.find((x) => x.name === 'console-hub');
      t.check(g && !g.surface && g.tools.join() === 'everything__echo', `API after edit: ${JSON.stringify(g)}`);

      // A bad group is refused in the dialog, with the API's reason.
      await page.getByRole('button', { name: 'Add group' }).click();
      await dlg.getByLabel('Name', { exact: true }).fill('console-empty');
      await dlg.getByRole('button', { name: 'Add group' }).click();
      await dlg.getByRole('alert').filter({ hasText: 'selects nothing' }).waitFor();
      await dlg.getByRole('button', { name: 'Close dialog' }).click();

      // Delete.
      await page.getByRole('button', { name: 'Delete group console-hub' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByText('Group console-hub deleted.').waitFor();
      const left = (await t.api('GET', '/groups')).items.map((x) => x.name);
      t.check(!left.includes('console-hub') && !left.includes('console-empty'), `groups left: ${left}`);
    },
  },
  {
    name: 'viewer has no groups page and the API refuses it',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'viewer');
      t.check(await page.locator('nav.nav a[data-page="groups"]').count() === 0, 'the viewer has a Groups link');
      const read = await t.fetchIn(page, '../api/v1/groups');
      t.check(read.status === 403, `viewer's GET /groups: ${read.status}`);
      const csrf = (await t.fetchIn(page, 'session')).body.csrf_token;
      const r = await t.fetchIn(page, '../api/v1/groups/viewer-group', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ agents: ['laptop'] }) });
      t.check(r.status === 403, `viewer's group POST: ${r.status}`);
    },
  },
];
