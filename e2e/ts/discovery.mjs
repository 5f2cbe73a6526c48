#!/usr/bin/env node
// e2e/ts/discovery.mjs — the TypeScript SDK client (a session-based era) on the hub's
// discovery surface; run by e2e/discovery_test.go.
//
//   node e2e/ts/discovery.mjs URL API_KEY
//
// URL is the endpoint with ?surface=discovery. Lists the tools, searches, calls echo through
// call_tool, and calls it again with an argument the policy refuses. Prints one JSON object
// with what each step got; a step that threw has {error, code} instead.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, key] = process.argv.slice(2);
if (!url || !key) {
  process.stderr.write('usage: discovery.mjs URL API_KEY\n');
  process.exit(2);
}
const client = new Client({ name: 'e2e-ts-discovery', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
await client.connect(transport);

const out = { version: transport.protocolVersion ?? null };
const step = async (name, fn) => {
  try {
    out[name] = await fn();
  } catch (e) {
    out[name] = { error: String(e?.message ?? e), code: e?.code ?? null };
  }
};
const textOf = (r) => (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
await step('tools', async () => (await client.listTools()).tools.map((t) => t.name));
await step('search', async () => textOf(await client.callTool({ name: 'search_tools', arguments: { query: 'read a text file', limit: 3 } })));
await step('call', async () => textOf(await client.callTool({ name: 'call_tool', arguments: { name: 'laptop__everything__echo', arguments: { message: 'hi from typescript' } } })));
await step('refused', async () => textOf(await client.callTool({ name: 'call_tool', arguments: { name: 'laptop__everything__echo', arguments: { message: 'a secret from typescript' } } })));
await client.close();
process.stdout.write(JSON.stringify(out) + '\n');
