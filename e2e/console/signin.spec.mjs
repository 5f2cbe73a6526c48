// Sign-in, sign-out and the session's protections.
export default [
  {
    name: 'sign in as each role',
    async run(t) {
      for (const role of ['owner', 'operator', 'viewer']) {
        const page = await t.page();
        await t.signIn(page, role);
        const who = await page.locator('header .user').textContent();
        t.check(who.includes(t.config.users[role].name) && who.includes(role), `header shows ${who}, want ${role}`);
      }
    },
  },
  {
    name: 'wrong password is refused',
    async run(t) {
      const page = await t.page();
      await page.goto(t.config.ui);
      await page.getByLabel('User name').fill(t.config.users.viewer.name);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
      t.check(await page.locator('nav.nav').count() === 0, 'the shell showed after a wrong password');
    },
  },
];
