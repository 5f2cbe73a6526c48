#!/usr/bin/env node
// e2e/ts/listchanged.mjs — a session-based (legacy) TypeScript SDK client that stays
// connected to the hub and reports every notifications/tools/list_changed it gets, while
// the test stops and starts an agent; run by e2e/era_ts_listchanged_test.go.
//
//   node e2e/ts/listchanged.mjs streamable|sse BASE_URL API_KEY [PATH]
//
// PATH is the endpoint: for streamable, /mcp by default (/mcp/<group> for a tool group); for
// sse, the HTTP+SSE stream, /sse by default (/sse/<group> for a tool group).
//
// Prints one JSON object per line on stdout:
//   {"event":"ready","version":…,"tools":N,"names":[…]}   connected, and for streamable
//       HTTP the standalone GET stream is open (the hub drops list_changed for a session
//       without one, so the test must not act before)
//   {"event":"list_changed","count":N}                   each notification, as it arrives
//   {"event":"list","tools":N,"names":[…]}                 answer to the command "list"
//   {"event":"call","text":…,"isError":…}                 answer to "call NAME JSON_ARGS"
//   {"event":"error","error":…}                           a command or the connection failed
// Commands are read from stdin, one a line; "quit" or the end of stdin closes the client
// and exits 0. Exit 2 on usage errors.
import readline from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

const [mode, base, key, pathArg] = process.argv.slice(2);
const path = pathArg || (mode === 'sse' ? '/sse' : '/mcp');
if (!['streamable', 'sse'].includes(mode) || !base || !key) {
  process.stderr.write('usage: listchanged.mjs streamable|sse BASE_URL API_KEY [PATH]\n');
  process.exit(2);
}
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const textOf = (content) => (content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');

const auth = { Authorization: `Bearer ${key}` };
// withAuth adds the key to every request a transport makes (POSTs and the SSE GET).
const withAuth = (url, init = {}) => {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(auth)) headers.set(k, v);
  return fetch(url, { ...init, headers });
};
// Resolves once the standalone GET stream of a streamable HTTP session has been accepted.
let getOpen;
const getStream = new Promise((resolve) => { getOpen = resolve; });
const watchingFetch = async (url, init = {}) => {
  const resp = await withAuth(url, init);
  if ((init.method ?? 'GET') === 'GET' && resp.ok) getOpen();
  return resp;
};

const client = new Client({ name: 'e2e-ts-listchanged', version: '1.0.0' }, { capabilities: {} });
let count = 0;
client.setNotificationHandler(ToolListChangedNotificationSchema, () => emit({ event: 'list_changed', count: ++count }));
client.onerror = (err) => process.stderr.write(`client error: ${err?.stack || err}\n`);

const transport = mode === 'sse'
  ? new SSEClientTransport(new URL(path, base), { requestInit: { headers: auth }, eventSourceInit: { fetch: withAuth }, fetch: withAuth })
  : new StreamableHTTPClientTransport(new URL(path, base), { requestInit: { headers: auth }, fetch: watchingFetch });

async function listAll() {
  const names = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);
  return names;
}

try {
  await client.connect(transport);
  if (mode === 'streamable') {
    await Promise.race([getStream, new Promise((_, reject) => setTimeout(() => reject(new Error('no GET stream within 20 s')), 20000))]);
  }
  const names = await listAll();
  emit({ event: 'ready', version: transport.protocolVersion ?? transport._protocolVersion ?? null, tools: names.length, names });
} catch (err) {
  emit({ event: 'error', error: String(err?.stack || err) });
  process.exit(1);
}

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  const [cmd, name, ...rest] = line.trim().split(' ');
  try {
    if (cmd === 'quit') break;
    if (cmd === 'list') {
      const names = await listAll();
      emit({ event: 'list', tools: names.length, names });
    } else if (cmd === 'call') {
      const res = await client.callTool({ name, arguments: rest.length ? JSON.parse(rest.join(' ')) : {} });
      emit({ event: 'call', text: textOf(res.content), isError: !!res.isError });
    } else {
      emit({ event: 'error', error: `unknown command ${cmd}` });
    }
  } catch (err) {
    emit({ event: 'error', error: String(err?.message || err) });
  }
}
await client.close();
process.exit(0);
