// The browser test harness of the web console (docs/CONSOLE.md, "Browser tests").
// e2e/console_test.go starts a real hub with a real agent and server-everything, creates
// the users, and runs run.mjs, which imports every *.spec.mjs here and runs its tests in
// headless Chromium (playwright-core, /usr/bin/chromium). Each test gets a Ctx (below).
// Results go to stdout as JSON lines {"result": {...}}; requests to the Go side (start an
// agent, …) as {"ask": {...}} lines, answered on stdin.
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// The config the Go test passes in CONSOLE_CONFIG (JSON): {url, ui, users: {owner:
// {name, password}, operator: …, viewer: …}, ownerKey, shots}.
export const config = JSON.parse(process.env.CONSOLE_CONFIG || '{}');

export const WIDTHS = [1280, 390];

// ---- the Go side: ask() writes a request line and waits for its answer line ----
const pending = [];
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const p = pending.shift();
  if (!p) return;
  const msg = JSON.parse(line);
  if (msg.error) p.reject(new Error(msg.error)); else p.resolve(msg.result);
});

export function ask(what, args = {}) {
  return new Promise((resolve, reject) => {
    pending.push({ resolve, reject });
    process.stdout.write(JSON.stringify({ ask: { what, args } }) + '\n');
  });
}

export function closeAsks() { rl.close(); }

export class AssertionError extends Error {}

// Ctx is what a test's run(t) gets.
export class Ctx {
  constructor(browser, name) {
    this.browser = browser;
    this.name = name;
    this.config = config;
    this.contexts = [];
    this.logs = [];
    this.notes = [];
  }

  // note adds a line to the Go test's log (figures a test measured).
  note(msg) { this.notes.push(msg); }

  // page opens a new browser context (its own cookies) and page at a width (1280 default).
  // Console errors and CSP violations of the page are collected; check() fails on them.
  async page(width = 1280) {
    const context = await this.browser.newContext({ viewport: { width, height: width > 600 ? 800 : 844 } });
    this.contexts.push(context);
    const page = await context.newPage();
    // A refused request (401, 403) is logged by Chromium as "Failed to load resource": the
    // tests check statuses themselves. Anything else, CSP refusals included, fails the test.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) this.logs.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.logs.push(`page error: ${e.message}`));
    page.setDefaultTimeout(30000);
    return page;
  }

  // signIn opens the console and signs in as role ('owner', 'operator', 'viewer') or as
  // {name, password}; waits for the shell (the navigation) to show.
  async signIn(page, who) {
    const u = typeof who === 'string' ? config.users[who] : who;
    if (!u) throw new Error(`no user ${who} in the test config`);
    await page.goto(config.ui);
    await page.getByLabel('User name').fill(u.name);
    await page.getByLabel('Password').fill(u.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('nav.nav').waitFor();
  }

  // go shows a page of the console by its id ('agents') and waits for its title.
  async go(page, id, title) {
    await page.evaluate((h) => { location.hash = h; }, '#/' + id);
    if (title) await page.locator('h1.page-title', { hasText: title }).waitFor();
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
  }

  // axe runs axe-core on the page and fails on serious or critical violations.
  async axe(page, label = '') {
    // Evaluated through the DevTools protocol, which the page's CSP (rightly) does not let
    // an inline <script> do.
    if (!(await page.evaluate(() => !!window.axe))) await page.evaluate(axeSource);
    const res = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    if (bad.length) {
      const lines = bad.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
      throw new AssertionError(`axe-core ${label}: ${bad.length} serious/critical violation(s):\n  ${lines.join('\n  ')}`);
    }
    return res.violations.length;
  }

  // shots saves a full-page screenshot of page at each of WIDTHS as SHOTS/name-WIDTH.png
  // (SHOTS: docs/console when CONSOLE_SHOTS=docs, else a temporary directory), and runs
  // axe at each width. The page's viewport is restored.
  async shots(page, name) {
    mkdirSync(config.shots, { recursive: true });
    const old = page.viewportSize();
    for (const w of WIDTHS) {
      await page.setViewportSize({ width: w, height: w > 600 ? 800 : 844 });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await this.axe(page, `${name} at ${w} px`);
      await this.noOverflow(page, `${name} at ${w} px`);
      await page.screenshot({ path: path.join(config.shots, `${name}-${w}.png`), fullPage: true });
    }
    await page.setViewportSize(old);
  }

  // noOverflow fails when the document is wider than the viewport (a page that does not
  // fit 390 px scrolls sideways as a whole; tables scroll inside their own box).
  async noOverflow(page, label) {
    const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    if (sw > cw + 1) throw new AssertionError(`${label}: the page is ${sw} px wide in a ${cw} px viewport`);
  }

  // writeControls lists the page's write controls: elements marked data-write (with the
  // permission they need) and buttons named with a write verb (marked or not).
  async writeControls(page) {
    return page.evaluate(() => {
      const verbs = /\b(create|add|enroll|revoke|rotate|delete|remove|disable|enable|approve|reset|save|set|new)\b/i;
      const out = [];
      for (const el of document.querySelectorAll('[data-write], button, input[type=submit], summary')) {
        if (el.closest('nav') || el.closest('header')) continue;
        const text = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim();
        if (el.hasAttribute('data-write') || verbs.test(text)) out.push({ text, perm: el.getAttribute('data-write') || '' });
      }
      return out;
    });
  }

  // forbiddenControls lists the write controls the signed-in caller may not use: those
  // that need a permission it lacks, and write-verb controls not marked with one. RBAC
  // in the page means this is empty on every page for every role.
  async forbiddenControls(page) {
    const me = await this.fetchIn(page, '../api/v1/auth/me');
    const perms = new Set(me.body.permissions || []);
    return (await this.writeControls(page)).filter((c) => c.perm === '' || !perms.has(c.perm))
      .map((c) => `"${c.text}" (${c.perm || 'unmarked'})`);
  }

  // fetchIn runs fetch in the page (with its cookies) and returns {status, body}.
  async fetchIn(page, url, init = {}) {
    return page.evaluate(async ([u, i]) => {
      const r = await fetch(u, i);
      const t = await r.text();
      let body = t;
      try { body = JSON.parse(t); } catch { /* text */ }
      return { status: r.status, body };
    }, [url, init]);
  }

  // api calls the REST API with the owner's key from Node (setup, not the thing tested).
  async api(method, p, body) {
    const r = await fetch(config.url + '/api/v1' + p, {
      method, headers: { Authorization: `Bearer ${config.ownerKey}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const t = await r.text();
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${t}`);
    return t ? JSON.parse(t) : null;
  }

  // until polls fn (async, truthy when done) every 250 ms until the deadline (30 s).
  async until(what, fn, ms = 30000) {
    const end = Date.now() + ms;
    let last;
    for (;;) {
      try { if (await fn()) return; } catch (e) { last = e; }
      if (Date.now() > end) throw new AssertionError(`waited ${ms / 1000} s for ${what}${last ? ': ' + last.message : ''}`);
      await new Promise((r) => setTimeout(r, 250)); // polling interval of a state without an event
    }
  }

  check(cond, msg) { if (!cond) throw new AssertionError(msg); }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
  }
}

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
}
