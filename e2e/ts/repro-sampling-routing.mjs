#!/usr/bin/env node
// e2e/ts/repro-sampling-routing.mjs — reproduction of a routing bug (see docs/CONFORMANCE.md,
// "Bugs found"): a server→client request (sampling/createMessage) caused by client A's call
// is delivered to client B when B has a later call in flight on the same backend session.
//
//   node e2e/ts/repro-sampling-routing.mjs URL [API_KEY]
//
// URL is an MCP endpoint whose tool "test_sampling" {prompt} asks the client for sampling
// and returns "LLM response: <text>" — go-sdk's conformance everything-server, directly
// (http://127.0.0.1:BPORT/mcp: 0 wrong) or through the hub as the only backend of an agent
// with naming "auto" (the set-up of e2e/conformance/gateway.sh). Two clients, A and B, make
// 10 concurrent calls each; each answers sampling with its own name and the prompt it saw.
// Exit 1 when any call was answered by the other client.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [endpoint, key] = process.argv.slice(2);
if (!endpoint) {
  process.stderr.write('usage: repro-sampling-routing.mjs URL [API_KEY]\n');
  process.exit(2);
}
const requestInit = key ? { headers: { Authorization: `Bearer ${key}` } } : undefined;

async function connect(tag) {
  const c = new Client({ name: `repro-${tag}`, version: '1' }, { capabilities: { sampling: {} } });
  c.setRequestHandler(CreateMessageRequestSchema, async (r) => {
    await new Promise((res) => setTimeout(res, 20));
    const prompt = r.params.messages[0]?.content?.text;
    return { model: 'm', role: 'assistant', content: { type: 'text', text: `answered by ${tag} to prompt "${prompt}"` } };
  });
  await c.connect(new StreamableHTTPClientTransport(new URL(endpoint), { requestInit }));
  return c;
}

const clients = { A: await connect('A'), B: await connect('B') };
const calls = [];
for (let i = 0; i < 10; i++) {
  for (const [tag, c] of Object.entries(clients)) {
    calls.push(c.callTool({ name: 'test_sampling', arguments: { prompt: `secret of ${tag} #${i}` } })
      .then((r) => ({ tag, text: r.content?.[0]?.text ?? '' }), (e) => ({ tag, err: String(e) })));
  }
}
let wrong = 0;
for (const r of await Promise.all(calls)) {
  if (r.err || !r.text.includes(`answered by ${r.tag} `)) {
    wrong++;
    console.log(`client ${r.tag}: ${r.err || r.text}`);
  }
}
console.log(`${wrong}/${calls.length} calls answered by the wrong client or failed`);
for (const c of Object.values(clients)) await c.close();
process.exit(wrong ? 1 : 0);
