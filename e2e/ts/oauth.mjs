#!/usr/bin/env node
// e2e/ts/oauth.mjs — the official TypeScript SDK client's OAuth provider against the hub's
// authorization server, with the sign-in and consent page driven in headless Chromium
// (playwright-core); run by e2e/oauth_test.go.
//
//   node e2e/ts/oauth.mjs cimd|dcr HUB_URL OTHER_HUB_URL USER PASSWORD [CLIENT_METADATA_URL]
//
// cimd: the client identifies with CLIENT_METADATA_URL (a Client ID Metadata Document the
// Go test serves over https); dcr: it registers (RFC 7591). Steps, each reported:
//   connect   401 → discovery → registration → authorize in the browser → token → initialize
//   call      tools/call echo through the hub
//   other     the access token at OTHER_HUB_URL/mcp (another resource): refused?
//   refresh   refresh_token grant → new pair; a new client session calls echo with it
//   reuse     the old refresh token again: refused? and the refreshed access token after it?
//   revoke    a second authorization; revoke its access token (RFC 7009); refused after?
// Prints one JSON object; a step that threw has {error: "..."}. Exit 0 when printed, 2 on usage.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

// OAUTH_SDK=v2 runs the same steps with the SDK's v2 client package (@modelcontextprotocol/client),
// else with v1 (@modelcontextprotocol/sdk): the same names, two implementations.
const sdkVersion = process.env.OAUTH_SDK === 'v2' ? 'v2' : 'v1';
const sdk = sdkVersion === 'v2'
  ? await import('@modelcontextprotocol/client')
  : {
    ...(await import('@modelcontextprotocol/sdk/client/index.js')),
    ...(await import('@modelcontextprotocol/sdk/client/streamableHttp.js')),
    ...(await import('@modelcontextprotocol/sdk/client/auth.js')),
  };
const { Client, StreamableHTTPClientTransport, UnauthorizedError, refreshAuthorization, discoverAuthorizationServerMetadata } = sdk;

const [mode, hub, otherHub, user, password, metadataUrl] = process.argv.slice(2);
if (!['cimd', 'dcr'].includes(mode) || !hub || !otherHub || !user || !password || (mode === 'cimd' && !metadataUrl)) {
  process.stderr.write('usage: oauth.mjs cimd|dcr HUB_URL OTHER_HUB_URL USER PASSWORD [CLIENT_METADATA_URL]\n');
  process.exit(2);
}

const out = {};
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const log = (...a) => process.stderr.write(`[oauth.mjs ${sdkVersion} ${mode}] ${a.join(' ')}\n`);
// A watchdog: whatever hangs, the Go test gets what was done so far, and the step that hung.
const watchdog = setTimeout(() => {
  out.fatal = `timed out; steps done: ${Object.keys(out).join(', ') || 'none'}`;
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.exit(0);
}, 150_000);
const mcpUrl = new URL('/mcp', hub);

// The redirect target: a loopback listener, as native clients use (RFC 8252).
let waiting = null;
const callback = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  res.end('signed in; you may close this window');
  if (u.pathname === '/callback' && waiting) {
    const w = waiting;
    waiting = null;
    w(Object.fromEntries(u.searchParams));
  }
});
await new Promise((r) => callback.listen(0, '127.0.0.1', r));
const redirectUrl = `http://127.0.0.1:${callback.address().port}/callback`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });

// signIn opens the authorization URL, reads what the page says, signs in and allows;
// it resolves to the callback's query (code, state, iss).
async function signIn(authorizationUrl) {
  const page = await browser.newPage();
  const got = new Promise((r) => { waiting = r; });
  const seen = {};
  page.on('response', (r) => {
    if (r.url().startsWith(`${hub}/oauth/authorize`) && r.request().method() === 'GET') {
      seen.csp = r.headers()['content-security-policy'];
    }
  });
  const blocked = [];
  page.on('requestfailed', (r) => blocked.push(r.url()));
  log('sign-in page', String(authorizationUrl));
  await page.goto(authorizationUrl.toString());
  seen.title = await page.title();
  seen.heading = await page.textContent('h1');
  seen.text = await page.textContent('main');
  // Accessibility (axe-core, WCAG 2 A/AA rules). evaluate runs through DevTools, past the
  // page's CSP, which refuses every script of its own.
  await page.evaluate(axeSource);
  const axe = await page.evaluate(() => globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }));
  seen.axeViolations = axe.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button.allow');
  log('allowed; waiting for the callback');
  const query = await Promise.race([got, page.waitForTimeout(60_000).then(async () => {
    throw new Error(`no callback within 60 s; the browser is at ${page.url()}: ${(await page.textContent('body').catch(() => '')).slice(0, 500)}; failed requests: ${blocked.join(' ')}`);
  })]);
  await page.close();
  return { query, page: seen };
}

class Provider {
  constructor() { this.info = undefined; this.tok = undefined; this.verifier = undefined; this.pending = null; }
  get redirectUrl() { return redirectUrl; }
  get clientMetadataUrl() { return mode === 'cimd' ? metadataUrl : undefined; }
  get clientMetadata() {
    return { client_name: `SDK e2e (${mode})`, redirect_uris: [redirectUrl], grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() { return this.info; }
  saveClientInformation(i) { this.info = i; }
  tokens() { return this.tok; }
  saveTokens(t) { this.tok = t; }
  redirectToAuthorization(u) { this.authorizationUrl = u; this.pending = signIn(u); }
  state() { return `state-${Math.random().toString(36).slice(2)}`; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

// connect runs the SDK's flow: the first connect is refused (401), the provider signs in in
// the browser, finishAuth exchanges the code, and a second connect succeeds.
async function connect(provider) {
  let transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  const client = new Client({ name: `oauth-e2e-${mode}`, version: '1.0.0' });
  const r = {};
  try {
    await client.connect(transport);
    r.firstConnect = 'ok (no sign-in needed)';
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
    r.firstConnect = 'unauthorized';
    const { query, page } = await provider.pending;
    r.page = page;
    r.callback = { hasCode: !!query.code, state: !!query.state, iss: query.iss, error: query.error };
    r.authorizationUrl = String(provider.authorizationUrl);
    // The v2 client checks the RFC 9207 issuer of the answer (the hub advertises it); v1 takes the code alone.
    await transport.finishAuth(query.code, query.iss);
    transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
    await client.connect(transport);
  }
  r.clientId = provider.info?.client_id;
  r.server = client.getServerVersion();
  return { client, r };
}

async function echo(client, text) {
  const tools = await client.listTools();
  const name = tools.tools.map((t) => t.name).find((n) => n.endsWith('echo'));
  const res = await client.callTool({ name, arguments: { message: text } });
  return { tool: name, text: res.content?.[0]?.text, isError: !!res.isError };
}

async function status(base, token) {
  const res = await fetch(new URL('/mcp', base), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'probe', version: '1' } } }),
  });
  await res.text();
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate') };
}

async function step(name, f) {
  log('step', name);
  try {
    out[name] = await f();
  } catch (e) {
    out[name] = { error: String(e?.stack || e) };
  }
}

const provider = new Provider();
let client;
await step('connect', async () => {
  const c = await connect(provider);
  client = c.client;
  return c.r;
});
await step('call', async () => echo(client, `hello over oauth (${mode})`));
await step('other', async () => status(otherHub, provider.tok.access_token));
const asMeta = await discoverAuthorizationServerMetadata(new URL(hub)).catch(() => undefined);
let firstRefresh;
await step('refresh', async () => {
  const old = provider.tok;
  firstRefresh = old.refresh_token;
  const fresh = await refreshAuthorization(new URL(hub), { metadata: asMeta, clientInformation: provider.info, refreshToken: old.refresh_token, resource: mcpUrl });
  provider.saveTokens(fresh);
  await client.close();
  const c = await connect(provider); // tokens present: no sign-in
  client = c.client;
  return { changed: fresh.access_token !== old.access_token && fresh.refresh_token !== old.refresh_token,
    firstConnect: c.r.firstConnect, call: await echo(client, 'after refresh') };
});
await step('reuse', async () => {
  let refused = false, message = '';
  try {
    await refreshAuthorization(new URL(hub), { metadata: asMeta, clientInformation: provider.info, refreshToken: firstRefresh, resource: mcpUrl });
  } catch (e) {
    refused = true;
    message = String(e?.message || e);
  }
  return { refused, message, refreshedAfterReuse: await status(hub, provider.tok.access_token) };
});
await step('revoke', async () => {
  await client.close().catch(() => {});
  const second = new Provider();
  second.info = provider.info; // the same client, a new authorization
  const c = await connect(second);
  const before = await echo(c.client, 'before revoke');
  await c.client.close();
  const res = await fetch(asMeta.revocation_endpoint, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: second.tok.access_token, token_type_hint: 'access_token', client_id: second.info.client_id }),
  });
  let refreshRefused = false;
  try {
    await refreshAuthorization(new URL(hub), { metadata: asMeta, clientInformation: second.info, refreshToken: second.tok.refresh_token, resource: mcpUrl });
  } catch {
    refreshRefused = true;
  }
  return { signedInAgain: c.r.firstConnect, before, revokeStatus: res.status, after: await status(hub, second.tok.access_token), refreshRefused };
});

clearTimeout(watchdog);
await browser.close();
callback.close();
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
