#!/usr/bin/env node
// e2e/ts/gentools.mjs — a stdio MCP server (TypeScript SDK) that serves COUNT generated tools
// of a large team's hub: services × verbs × objects, each with a realistic description and
// an input schema of a few described arguments. Run by e2e/discovery_test.go as an agent's
// backend; SEED shifts which combinations it serves so that several copies differ.
//
//   node e2e/ts/gentools.mjs COUNT SEED
//
// Every tool answers a call with one text naming itself and its arguments.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const count = Number(process.argv[2] ?? 500);
const seed = Number(process.argv[3] ?? 0);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  process.stderr.write('usage: gentools.mjs COUNT SEED\n');
  process.exit(2);
}

const services = ['github', 'gitlab', 'jira', 'slack', 'postgres', 's3', 'kubernetes', 'stripe', 'notion', 'linear',
  'sentry', 'datadog', 'gmail', 'calendar', 'drive', 'figma', 'zendesk', 'hubspot', 'twilio', 'vault', 'confluence',
  'salesforce', 'bigquery', 'snowflake', 'pagerduty'];
const verbs = [
  ['list', 'List', 'matching the filters, newest first, one page at a time'],
  ['get', 'Get', 'by its id, with every field'],
  ['create', 'Create', 'from the given fields and return its id'],
  ['update', 'Update', 'changing only the fields given'],
  ['delete', 'Delete', 'permanently; this cannot be undone'],
  ['search', 'Search', 'by a free-text query over titles and bodies'],
  ['export', 'Export', 'as CSV or JSON for reporting'],
  ['archive', 'Archive', 'so that it no longer shows in default views'],
];
const objects = ['issue', 'comment', 'user', 'project', 'attachment', 'message', 'channel', 'record', 'invoice',
  'incident', 'bucket', 'deployment', 'secret', 'page', 'ticket', 'contact', 'dashboard', 'alert', 'table', 'report'];

const tools = [];
for (let i = seed * count; tools.length < count; i++) {
  const s = services[i % services.length];
  const [v, V, how] = verbs[Math.floor(i / services.length) % verbs.length];
  const o = objects[Math.floor(i / (services.length * verbs.length)) % objects.length];
  const round = Math.floor(i / (services.length * verbs.length * objects.length));
  const name = `${s}_${v}_${o}${round ? '_v' + (round + 1) : ''}`;
  const props = {
    workspace: { type: 'string', description: `The ${s} workspace or account to act in` },
  };
  const required = ['workspace'];
  if (v === 'list' || v === 'search' || v === 'export') {
    props.query = { type: 'string', description: `Filter ${o}s by text, owner or label` };
    props.limit = { type: 'integer', description: 'At most this many results (default 50)', minimum: 1, maximum: 500 };
    props.cursor = { type: 'string', description: 'The cursor of the next page, from the previous answer' };
  } else if (v === 'create' || v === 'update') {
    props.fields = { type: 'object', description: `The ${o}'s fields to set, by name`, additionalProperties: true };
    if (v === 'update') { props[`${o}_id`] = { type: 'string', description: `The id of the ${o}` }; required.push(`${o}_id`); }
    required.push('fields');
  } else {
    props[`${o}_id`] = { type: 'string', description: `The id of the ${o}` };
    required.push(`${o}_id`);
  }
  tools.push({
    name,
    description: `${V} a ${o} in ${s} ${how}. Returns the ${o} as JSON with its id, owner, labels and timestamps; ` +
      `fails with a clear message when the ${o} or the workspace does not exist or the token lacks the scope.`,
    inputSchema: { type: 'object', properties: props, required },
    annotations: { readOnlyHint: ['list', 'get', 'search', 'export'].includes(v), destructiveHint: v === 'delete' },
  });
}
const byName = new Map(tools.map((t) => [t.name, t]));

const server = new Server({ name: `gentools-${seed}`, version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
server.setRequestHandler(CallToolRequestSchema, async (req) => {
  if (!byName.has(req.params.name)) {
    return { isError: true, content: [{ type: 'text', text: `unknown tool ${req.params.name}` }] };
  }
  return { content: [{ type: 'text', text: `${req.params.name} ${JSON.stringify(req.params.arguments ?? {})}` }] };
});
await server.connect(new StdioServerTransport());
