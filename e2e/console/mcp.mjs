// MCP calls for the console's browser tests, made by a real client (the TypeScript SDK's
// streamable HTTP client) with a key: what an AI client does, so the pages have calls,
// denials and audit events to show.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');

// callTool connects to config.url/mcp with key, calls tool with args, and returns the
// result (isError results included); a JSON-RPC error is returned as {error: message}.
export async function callTool(config, key, tool, args = {}) {
  const client = new Client({ name: 'console-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(config.url + '/mcp'), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  try {
    return await client.callTool({ name: tool, arguments: args });
  } catch (e) {
    return { error: e.message };
  } finally {
    await client.close().catch(() => {});
  }
}

// findTool returns the exposed name of the tool whose original name is original (on a
// backend whose name starts with backend, when given), from the REST API.
export async function findTool(t, original, backend = '') {
  const list = await t.api('GET', '/tools?q=' + encodeURIComponent(original));
  const hit = (list.items || []).find((x) => x.tool === original && x.backend.startsWith(backend));
  return hit ? hit.name : '';
}

export const mutableServer = path.join(here, 'mutable-server.mjs');

// writeControlsFor lists the write controls on the page that the signed-in caller may not
// use (the harness's forbiddenControls when it has it, else every write control: for a
// viewer both must be empty).
export async function writeControlsFor(t, page) {
  const w = t.forbiddenControls ? await t.forbiddenControls(page) : await t.writeControls(page);
  return w.map((x) => (typeof x === 'string' ? x : x.text || JSON.stringify(x)));
}
