#!/usr/bin/env node
// e2e/ts/connect-entry.mjs — connects the official TypeScript SDK client to the hub with
// exactly the url and headers of an entry printed by `mcp-gateway-hub connect`; run by
// e2e/connect_ts_test.go.
//
//   node e2e/ts/connect-entry.mjs cursor|vscode ENTRY_FILE
//
// Resolves the variables as the client does: Cursor's ${env:NAME} from this process's
// environment, VS Code's ${input:ID} from the environment variable INPUT_<ID> (ID with '-'
// as '_'; VS Code would prompt for it). Prints {"tools": N} or {"error": "..."}; exit 0 when
// printed, 2 on usage errors.
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [client, file] = process.argv.slice(2);
if (!['cursor', 'vscode'].includes(client) || !file) {
  process.stderr.write('usage: connect-entry.mjs cursor|vscode ENTRY_FILE\n');
  process.exit(2);
}
const doc = JSON.parse(readFileSync(file, 'utf8'));
const servers = client === 'vscode' ? doc.servers : doc.mcpServers;
const [entry] = Object.values(servers);
if (client === 'vscode' && entry.type !== 'http') {
  process.stderr.write(`vscode entry type ${entry.type}, want http\n`);
  process.exit(2);
}
const resolve = (s) =>
  s.replace(/\$\{env:([A-Za-z0-9_]+)\}/g, (_, n) => process.env[n] ?? '')
    .replace(/\$\{input:([A-Za-z0-9_-]+)\}/g, (_, id) => process.env['INPUT_' + id.replaceAll('-', '_')] ?? '');
const headers = Object.fromEntries(Object.entries(entry.headers ?? {}).map(([k, v]) => [k, resolve(v)]));

try {
  const c = new Client({ name: `connect-${client}`, version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(resolve(entry.url)), { requestInit: { headers } }));
  const { tools } = await c.listTools();
  await c.close();
  process.stdout.write(JSON.stringify({ tools: tools.length }) + '\n');
} catch (e) {
  process.stdout.write(JSON.stringify({ error: String(e?.message ?? e) }) + '\n');
}
