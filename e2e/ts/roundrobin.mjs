#!/usr/bin/env node
// e2e/ts/roundrobin.mjs — the official TypeScript SDK's session client (2025 protocol,
// Mcp-Session-Id) behind a round-robin "balancer": every HTTP request goes to the next hub
// of the list, so initialize, tools/list and each tools/call land on different hubs of one
// cluster. Run by e2e/cluster_ts_test.go.
//
//   node e2e/ts/roundrobin.mjs API_KEY TOOL BASE_URL...
//
// Prints one JSON object: the hub each request went to, the tool names listed and the text
// of each call; a step that threw has {error: "..."}. Exit 0 once printed, 2 on usage errors.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [key, tool, ...bases] = process.argv.slice(2);
if (!key || !tool || bases.length < 2) {
  process.stderr.write('usage: roundrobin.mjs API_KEY TOOL BASE_URL BASE_URL...\n');
  process.exit(2);
}

const out = { requests: [], calls: [] };
let next = 0;
// roundRobin sends each request to the next hub, like a balancer without affinity. The
// standalone GET stream is left out (it would hold one hub for its lifetime, which is what
// a balancer does too; it carries nothing this script waits for).
const roundRobin = (url, init = {}) => {
  const method = (init.method || 'GET').toUpperCase();
  if (method === 'GET') {
    return Promise.resolve(new Response(null, { status: 405 }));
  }
  const base = bases[next++ % bases.length];
  const u = new URL(url);
  const target = new URL(u.pathname + u.search, base);
  out.requests.push(`${method} ${base}`);
  return fetch(target, init);
};

async function step(name, fn) {
  try {
    out[name] = await fn();
  } catch (err) {
    out[name] = { error: String(err?.stack || err) };
  }
}

const client = new Client({ name: 'e2e-roundrobin', version: '1.0.0' }, { capabilities: {} });
const transport = new StreamableHTTPClientTransport(new URL('/mcp', bases[0]), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
  fetch: roundRobin,
});
await step('connect', async () => {
  await client.connect(transport);
  return { session: Boolean(transport.sessionId) };
});
await step('tools', async () => (await client.listTools()).tools.map((t) => t.name));
for (let i = 0; i < 4; i++) {
  try {
    const r = await client.callTool({ name: tool, arguments: {} });
    out.calls.push((r.content || []).filter((c) => c.type === 'text').map((c) => c.text).join(''));
  } catch (err) {
    out.calls.push({ error: String(err?.message || err) });
  }
}
await client.close().catch(() => {});
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
