// RBAC in the page and in the API, CSRF and missing sessions, through a real browser.
const PAGES = [['overview', 'Overview'], ['agents', 'Agents'], ['users', 'Users & keys'], ['connect', 'Connect'],
  ['tools', 'Tools'], ['policies', 'Policies'], ['audit', 'Audit'], ['usage', 'Usage']];

export default [
  {
    name: 'no role sees a write control it may not use',
    async run(t) {
      for (const role of ['viewer', 'operator', 'owner']) {
        const page = await t.page();
        await t.signIn(page, role);
        const me = (await t.fetchIn(page, '../api/v1/auth/me')).body;
        const navIds = await page.locator('nav a').evaluateAll((as) => as.map((a) => a.dataset.page));
        for (const [id, title] of PAGES) {
          if (!navIds.includes(id)) continue;
          await t.go(page, id, title);
          await page.locator('main .part, main .card, main .empty, main p').first().waitFor();
          await page.waitForFunction(() => !document.body.textContent.includes('Loading…'));
          const bad = await t.forbiddenControls(page);
          t.check(bad.length === 0, `${role} on ${id} sees ${bad.join(', ')}`);
        }
        if (role === 'viewer') {
          t.check(!navIds.includes('agents') && !me.permissions.includes('agents.write'), `viewer's nav shows agents: ${navIds}`);
          const all = (await t.writeControls(page));
          t.check(all.every((c) => me.permissions.includes(c.perm)), `viewer controls: ${JSON.stringify(all)}`);
        }
        if (role === 'owner') {
          await t.go(page, 'agents', 'Agents');
          t.check((await page.getByRole('button', { name: 'Enroll agent' }).count()) === 1, 'the owner has no Enroll button: the check above would pass vacuously');
        }
      }
    },
  },
  {
    name: 'forged writes are refused',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'operator');
      const body = JSON.stringify({ id: 'forged-agent' });
      const json = { 'Content-Type': 'application/json' };
      // With the cookie but without the CSRF token (what a cross-site form or fetch has).
      let r = await t.fetchIn(page, '../api/v1/agents', { method: 'POST', headers: json, body });
      t.check(r.status === 403 && r.body.error.code === 'csrf', `no token: ${r.status} ${JSON.stringify(r.body)}`);
      r = await t.fetchIn(page, '../api/v1/agents', { method: 'POST', headers: { ...json, 'X-CSRF-Token': 'guessed' }, body });
      t.check(r.status === 403 && r.body.error.code === 'csrf', `wrong token: ${r.status} ${JSON.stringify(r.body)}`);
      // The operator's own token works: the refusals above were the token's.
      const s = (await t.fetchIn(page, 'session')).body;
      r = await t.fetchIn(page, '../api/v1/agents', { method: 'POST', headers: { ...json, 'X-CSRF-Token': s.csrf_token }, body });
      t.check(r.status === 201, `operator with token: ${r.status} ${JSON.stringify(r.body)}`);
      await t.api('DELETE', '/agents/forged-agent');

      // A viewer with a valid token is refused by RBAC.
      const vp = await t.page();
      await t.signIn(vp, 'viewer');
      const vs = (await t.fetchIn(vp, 'session')).body;
      for (const [method, url, b] of [['POST', '../api/v1/agents', { id: 'viewer-agent' }], ['POST', '../api/v1/users', { name: 'x', role: 'owner' }],
        ['PATCH', '../api/v1/tools/everything__echo', { disabled: true }], ['POST', '../api/v1/policies/rules', { name: 'x', effect: 'deny', tools: ['*'] }]]) {
        r = await t.fetchIn(vp, url, { method, headers: { ...json, 'X-CSRF-Token': vs.csrf_token }, body: JSON.stringify(b) });
        t.check(r.status === 403 && r.body.error.code === 'forbidden', `viewer ${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    },
  },
  {
    name: 'a missing or ended session is refused',
    async run(t) {
      const page = await t.page();
      await page.goto(t.config.ui);
      await page.getByLabel('User name').waitFor();
      let r = await t.fetchIn(page, '../api/v1/auth/me');
      t.check(r.status === 401, `no session: ${r.status}`);
      r = await t.fetchIn(page, '../api/v1/agents', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"id":"x"}' });
      t.check(r.status === 401, `no session write: ${r.status}`);
      await t.signIn(page, 'owner');
      r = await t.fetchIn(page, '../api/v1/auth/me');
      t.check(r.status === 200, `signed in: ${r.status}`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('User name').waitFor();
      r = await t.fetchIn(page, '../api/v1/auth/me');
      t.check(r.status === 401, `after sign-out: ${r.status}`);
      const cookies = await page.context().cookies();
      t.check(!cookies.some((c) => c.name === 'mcpgw_console' && c.value), `the cookie survived sign-out: ${JSON.stringify(cookies)}`);
    },
  },
  {
    name: 'the session cookie is HttpOnly and SameSite=Strict',
    async run(t) {
      const page = await t.page();
      await t.signIn(page, 'viewer');
      const ck = (await page.context().cookies()).find((c) => c.name === 'mcpgw_console');
      t.check(ck && ck.httpOnly && ck.sameSite === 'Strict', `cookie ${JSON.stringify(ck)}`);
      t.check(await page.evaluate(() => !document.cookie.includes('mcpgw_console')), 'the page script can read the session cookie');
    },
  },
];
