#!/usr/bin/env node
// e2e/ts/client.mjs — drives the hub with the official TypeScript SDK client
// (@modelcontextprotocol/sdk in e2e/node_modules); run by e2e/ts_test.go.
//
//   node e2e/ts/client.mjs streamable|sse BASE_URL API_KEY FILE
//
// Connects to BASE_URL/mcp (Streamable HTTP) or BASE_URL/sse (the old HTTP+SSE transport)
// with "Authorization: Bearer API_KEY", declares the sampling capability (answered with a
// fixed text), and exercises the agent "laptop" (backends "everything" =
// server-everything and "fs" = server-filesystem serving FILE's directory). Prints one
// JSON object with what each step got; a step that threw has {error: "..."} instead.
// Exit 0 when the object was printed (the Go test judges it), 2 on usage errors.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const SAMPLING_TEXT = 'sampled by the typescript client';

const [transportKind, base, key, file] = process.argv.slice(2);
if (!['streamable', 'sse'].includes(transportKind) || !base || !key || !file) {
  process.stderr.write('usage: client.mjs streamable|sse BASE_URL API_KEY FILE\n');
  process.exit(2);
}

const auth = { Authorization: `Bearer ${key}` };
// withAuth adds the key to every request a transport makes (POSTs and the SSE GET).
const withAuth = (url, init = {}) => {
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(auth)) headers.set(k, v);
  return fetch(url, { ...init, headers });
};

function makeTransport() {
  if (transportKind === 'streamable') {
    return new StreamableHTTPClientTransport(new URL('/mcp', base), { requestInit: { headers: auth } });
  }
  return new SSEClientTransport(new URL('/sse', base), {
    requestInit: { headers: auth },
    eventSourceInit: { fetch: withAuth },
    fetch: withAuth,
  });
}

const textOf = (content) => (content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');

const out = { transport: transportKind };
// step runs one named step, recording its value or its error; never throws.
async function step(name, fn) {
  const began = Date.now();
  try {
    out[name] = await fn();
  } catch (err) {
    out[name] = { error: String(err?.stack || err), ms: Date.now() - began };
  }
}

const client = new Client({ name: 'e2e-ts', version: '1.0.0' }, { capabilities: { sampling: {} } });
let samplingRequests = 0;
client.setRequestHandler(CreateMessageRequestSchema, async () => {
  samplingRequests++;
  return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: SAMPLING_TEXT }, stopReason: 'endTurn' };
});

const timer = setTimeout(() => {
  out.fatal = 'client.mjs: gave up after 90 s';
  console.log(JSON.stringify(out));
  process.exit(1);
}, 90_000);

await step('connect', async () => {
  await client.connect(makeTransport());
  return { server: client.getServerVersion(), protocolVersion: client.transport?.protocolVersion ?? null };
});

if (!out.connect.error) {
  await step('tools', async () => {
    const names = [];
    let cursor;
    let pages = 0;
    do {
      const res = await client.listTools(cursor ? { cursor } : {});
      pages++;
      for (const t of res.tools) names.push(t.name);
      cursor = res.nextCursor;
    } while (cursor && pages < 100);
    return { names, pages };
  });

  await step('echo', async () => {
    const res = await client.callTool({ name: 'laptop__everything__echo', arguments: { message: 'hello from typescript' } });
    return { text: textOf(res.content), isError: !!res.isError };
  });

  await step('file', async () => {
    const res = await client.callTool({ name: 'laptop__fs__read_text_file', arguments: { path: file } });
    return { text: textOf(res.content), isError: !!res.isError };
  });

  await step('resource', async () => {
    const all = [];
    let cursor;
    let pages = 0;
    do {
      const res = await client.listResources(cursor ? { cursor } : {});
      pages++;
      all.push(...res.resources);
      cursor = res.nextCursor;
    } while (cursor && pages < 100);
    // A static document of laptop/everything: its content is a file we can compare.
    const mine = all.filter((r) => r.uri.includes('laptop__everything'));
    const pick = mine.find((r) => r.uri.includes('/static/document/')) || mine[0];
    if (!pick) return { listed: all.length, uri: null };
    const res = await client.readResource({ uri: pick.uri });
    const c = res.contents[0] || {};
    return { listed: all.length, uri: pick.uri, name: pick.name, contentUri: c.uri, mimeType: c.mimeType, text: c.text ?? null };
  });

  await step('prompt', async () => {
    const res = await client.getPrompt({ name: 'laptop__everything__simple-prompt' });
    return { messages: res.messages };
  });

  await step('progress', async () => {
    const seen = [];
    const res = await client.callTool(
      { name: 'laptop__everything__trigger-long-running-operation', arguments: { duration: 1, steps: 3 } },
      undefined,
      { onprogress: (p) => seen.push({ progress: p.progress, total: p.total }) },
    );
    return { count: seen.length, notifications: seen, text: textOf(res.content) };
  });

  await step('cancel', async () => {
    const ac = new AbortController();
    const began = Date.now();
    const abortAt = setTimeout(() => ac.abort(new Error('cancelled by the e2e client')), 500);
    try {
      const res = await client.callTool(
        { name: 'laptop__everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } },
        undefined,
        { signal: ac.signal },
      );
      return { rejected: false, ms: Date.now() - began, text: textOf(res.content) };
    } catch (err) {
      return { rejected: true, ms: Date.now() - began, error: String(err?.message || err) };
    } finally {
      clearTimeout(abortAt);
    }
  });

  // The session still works after a cancelled call.
  await step('afterCancel', async () => {
    const res = await client.callTool({ name: 'laptop__everything__echo', arguments: { message: 'after cancel' } });
    return { text: textOf(res.content) };
  });

  await step('sampling', async () => {
    const res = await client.callTool({ name: 'laptop__everything__trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 10 } });
    return { text: textOf(res.content), isError: !!res.isError, requests: samplingRequests };
  });
}

await step('close', async () => {
  await client.close();
  return true;
});
clearTimeout(timer);
console.log(JSON.stringify(out));
process.exit(0);
