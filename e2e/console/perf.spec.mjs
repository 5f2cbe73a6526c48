// First load and time to interactive, on loopback, with an empty cache: the sign-in page a
// new visitor gets, and the Overview a signed-in user opens. The figures go to the Go test's
// log (and docs/CONSOLE.md); the size is asserted (it is deterministic, up to the API's
// answers), the time is not (a busy machine says nothing about the console).
const BUDGET = 300 * 1024;

// READY runs in the page before its own scripts (through the DevTools protocol, which the
// CSP does not govern): it notes when the page first becomes usable: nothing busy and the
// sign-in form, or the Overview's numbers, shown.
const READY = () => {
  const done = () => {
    if (window.__ready !== undefined) return;
    if (document.querySelector('[aria-busy="true"]')) return;
    const form = document.querySelector('#login-name');
    const stats = document.querySelector('.stats .stat');
    if (form || stats) window.__ready = performance.now();
  };
  new MutationObserver(done).observe(document, { subtree: true, childList: true, attributes: true });
};

// measure loads url in page and returns {bytes, wire, requests, ready, dcl, load}: the
// compressed bodies (encodedBodySize) and bytes on the wire (transferSize, with headers) of
// the document and everything it fetched until ready, and the times in ms from navigation.
async function measure(t, page, url) {
  await page.addInitScript(READY);
  await page.goto(url);
  await t.until('the page to be interactive', () => page.evaluate(() => window.__ready !== undefined));
  // The answers of requests the page started before it was ready, finished.
  await page.waitForLoadState('networkidle');
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const all = [nav, ...performance.getEntriesByType('resource')].filter((e) => e.startTime <= window.__ready);
    return {
      bytes: all.reduce((n, e) => n + e.encodedBodySize, 0),
      wire: all.reduce((n, e) => n + e.transferSize, 0),
      requests: all.length,
      ready: Math.round(window.__ready),
      dcl: Math.round(nav.domContentLoadedEventEnd),
      load: Math.round(nav.loadEventEnd),
    };
  });
}

function report(t, what, m) {
  t.note(`first load, ${what}: ${m.requests} requests, ${(m.bytes / 1024).toFixed(1)} KiB compressed bodies ` +
    `(${(m.wire / 1024).toFixed(1)} KiB on the wire with headers); interactive at ${m.ready} ms ` +
    `(DOMContentLoaded ${m.dcl} ms, load ${m.load} ms); budget ${BUDGET / 1024} KiB and 1000 ms`);
  t.check(m.wire <= BUDGET, `${what}: first load is ${m.wire} bytes on the wire, over the ${BUDGET} byte budget`);
  t.check(m.requests > 3 && m.bytes > 1000, `${what}: measured ${m.requests} requests and ${m.bytes} bytes: the measurement saw nothing`);
}

export default [
  {
    name: 'first load size and time to interactive',
    async run(t) {
      // A new visitor: the sign-in page.
      const page = await t.page();
      report(t, 'sign-in page', await measure(t, page, t.config.ui));

      // A signed-in user opening the console in a new browser (empty cache, the cookie
      // carried over): the Overview with its first data.
      await t.signIn(page, 'owner');
      const cookies = await page.context().cookies();
      const context = await t.browser.newContext({ viewport: { width: 1280, height: 800 } });
      t.contexts.push(context);
      await context.addCookies(cookies);
      const fresh = await context.newPage();
      report(t, 'Overview, signed in', await measure(t, fresh, t.config.ui + '#/overview'));
    },
  },
];
