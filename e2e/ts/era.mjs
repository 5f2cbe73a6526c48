#!/usr/bin/env node
// e2e/ts/era.mjs — a session-based (legacy) TypeScript SDK client against a hub whose
// backend "conf" is go-sdk's conformance server in its stateless (2026-07-28) mode; run by
// e2e/era_ts_test.go.
//
//   node e2e/ts/era.mjs BASE_URL API_KEY
//
// Lists tools, calls one, gets progress, answers the backend's input_required requests
// (one sampling, two elicitation rounds) mid-call as server→client requests, and waits for
// the backend's tools/list_changed. Prints one JSON object; a step that threw has
// {error: "..."}. Exit 0 when the object was printed, 2 on usage errors.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

const [base, key] = process.argv.slice(2);
if (!base || !key) {
  process.stderr.write('usage: era.mjs BASE_URL API_KEY\n');
  process.exit(2);
}
const textOf = (content) => (content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');
const out = {};
async function step(name, fn) {
  try {
    out[name] = await fn();
  } catch (err) {
    out[name] = { error: String(err?.stack || err) };
  }
}

const client = new Client({ name: 'e2e-ts-era', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
let asked = 0;
client.setRequestHandler(CreateMessageRequestSchema, async () => {
  asked++;
  return { model: 'm', role: 'assistant', content: { type: 'text', text: 'sampled by the typescript client' } };
});
client.setRequestHandler(ElicitRequestSchema, async () => {
  asked++;
  return { action: 'accept', content: { name: 'ada', color: 'green' } };
});
let listChanged = 0;
client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged++; });

const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), { requestInit: { headers: { Authorization: `Bearer ${key}` } } });
await step('connect', async () => {
  await client.connect(transport);
  return { version: transport.protocolVersion ?? null };
});
await step('tools', async () => ({ count: (await client.listTools()).tools.length }));
await step('call', async () => ({ text: textOf((await client.callTool({ name: 'conf__test_simple_text' })).content) }));
await step('progress', async () => {
  let count = 0;
  await client.callTool({ name: 'conf__test_tool_with_progress' }, undefined, { onprogress: () => count++ });
  return { count };
});
await step('sampling', async () => ({ text: textOf((await client.callTool({ name: 'conf__test_input_required_result_sampling' })).content) }));
await step('elicitation', async () => ({ text: textOf((await client.callTool({ name: 'conf__test_input_required_result_multi_round' })).content) }));
out.asked = asked;
await step('listChanged', async () => {
  const deadline = Date.now() + 20000;
  while (listChanged === 0 && Date.now() < deadline) {
    await client.callTool({ name: 'conf__test_trigger_tool_change' });
    await new Promise((r) => setTimeout(r, 200));
  }
  return { count: listChanged };
});
process.stdout.write(JSON.stringify(out) + '\n');
await client.close();
process.exit(0);
