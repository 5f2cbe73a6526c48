// The console's pages, in navigation order. To add a page: write pages/NAME.js (see
// /work/sr/console-contract.md or docs/CONSOLE.md) and import it here.
import overview from './overview.js';
import agents from './agents.js';
import tools from './tools.js';
import policies from './policies.js';
import groups from './groups.js';
import users from './users.js';
import audit from './audit.js';
import usage from './usage.js';
import connect from './connect.js';

export default [overview, agents, tools, policies, groups, users, audit, usage, connect];
