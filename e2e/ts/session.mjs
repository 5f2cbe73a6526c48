#!/usr/bin/env node
// e2e/ts/session.mjs — the official TypeScript SDK's session client (2025 protocol,
// Mcp-Session-Id) driven line by line from stdin, so that a test can keep one session open
// while it changes the world around it (e2e/cluster_lb_test.go: hubs behind a balancer,
// one of them killed). It connects, prints {"ready":true,"session":bool}, then answers
// each command with one JSON line:
//
//   list              {"tools":[names]}
//   call NAME [JSON]  {"text":"...","isError":bool}
//   quit              exits 0
//
// A command that throws answers {"error":"..."}.
//
//   node e2e/ts/session.mjs MCP_URL API_KEY
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, key] = process.argv.slice(2);
if (!url || !key) {
  process.stderr.write('usage: session.mjs MCP_URL API_KEY\n');
  process.exit(2);
}
const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const client = new Client({ name: 'e2e-session', version: '1.0.0' }, { capabilities: {} });
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
try {
  await client.connect(transport);
} catch (err) {
  say({ error: String(err?.message || err) });
  process.exit(1);
}
say({ ready: true, session: Boolean(transport.sessionId) });

async function run(line) {
  const [cmd, name, ...rest] = line.trim().split(' ');
  switch (cmd) {
    case 'list': {
      const names = [];
      let cursor;
      do {
        const r = await client.listTools(cursor ? { cursor } : {});
        names.push(...r.tools.map((t) => t.name));
        cursor = r.nextCursor;
      } while (cursor);
      return { tools: names };
    }
    case 'call': {
      const args = rest.length ? JSON.parse(rest.join(' ')) : {};
      const r = await client.callTool({ name, arguments: args });
      const text = (r.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');
      return { text, isError: Boolean(r.isError) };
    }
    default:
      return { error: `unknown command ${cmd}` };
  }
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.trim() === 'quit') break;
  if (!line.trim()) continue;
  try {
    say(await run(line));
  } catch (err) {
    say({ error: String(err?.message || err) });
  }
}
await client.close().catch(() => {});
process.exit(0);
