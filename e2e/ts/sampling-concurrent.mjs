#!/usr/bin/env node
// e2e/ts/sampling-concurrent.mjs — several session-based TypeScript SDK clients call a
// sampling tool through the hub at the same time, and each must answer its OWN sampling
// request; run by e2e/sampling_concurrent_test.go.
//
//   node e2e/ts/sampling-concurrent.mjs MCP_URL API_KEY CLIENTS TOOL [TOOL...]
//
// For each TOOL (a tool of go-sdk's conformance server that asks the client for sampling
// and puts the answer in its result: test_sampling {prompt}, or
// test_input_required_result_sampling), CLIENTS clients each call it once, concurrently.
// Each client answers sampling with "answered by <its name> to <the prompt it saw>". No
// client answers before every client has been asked (or some call has ended, so that a
// refusal cannot hang the others): the calls are all in flight together when the hub routes
// their requests. Prints one JSON object {TOOL: [{client, text, isError, error}]}; exit 0
// when printed, 2 on usage errors.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [url, key, count, ...tools] = process.argv.slice(2);
const n = Number(count);
if (!url || !key || !(n > 0) || tools.length === 0) {
  process.stderr.write('usage: sampling-concurrent.mjs MCP_URL API_KEY CLIENTS TOOL [TOOL...]\n');
  process.exit(2);
}
const requestInit = { headers: { Authorization: `Bearer ${key}` } };
const textOf = (content) => (content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');

// gate opens when every client has been asked, or when any call has ended.
function newGate() {
  let open;
  const opened = new Promise((resolve) => { open = resolve; });
  let asked = 0;
  return { opened, open, asked: () => { if (++asked >= n) open(); } };
}

async function connect(name, round) {
  const c = new Client({ name, version: '1' }, { capabilities: { sampling: {} } });
  c.setRequestHandler(CreateMessageRequestSchema, async (r) => {
    const g = round.gate;
    g.asked();
    await g.opened;
    const prompt = r.params.messages?.[0]?.content?.text ?? '';
    return { model: 'm', role: 'assistant', content: { type: 'text', text: `answered by ${name} to ${prompt}` } };
  });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit }));
  return c;
}

const round = { gate: newGate() };
const clients = [];
for (let i = 0; i < n; i++) clients.push({ name: `ts-client-${i}`, c: await connect(`ts-client-${i}`, round) });
const out = {};
for (const tool of tools) {
  round.gate = newGate();
  out[tool] = await Promise.all(clients.map(({ name, c }) =>
    c.callTool({ name: tool, arguments: { prompt: `secret of ${name}` } }, undefined, { timeout: 120000 })
      .then((r) => ({ client: name, text: textOf(r.content), isError: !!r.isError }),
        (e) => ({ client: name, error: String(e) }))
      .finally(() => round.gate.open())));
}
for (const { c } of clients) await c.close();
process.stdout.write(JSON.stringify(out) + '\n');
