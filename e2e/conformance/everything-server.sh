#!/usr/bin/env bash
# e2e/conformance/everything-server.sh — build (cached) and run the go-sdk conformance
# "everything" server, the reference backend for the MCP conformance suite.
#
#   everything-server.sh --build-only            just build; prints the binary path
#   everything-server.sh [--stateless] ADDR      Streamable HTTP on ADDR (e.g. 127.0.0.1:3001),
#                                                any URL path works (use /mcp); stateful by default
#   everything-server.sh --stdio                 MCP over stdin/stdout (for a gateway's stdio backend)
#   everything-server.sh --free-port             print a free TCP port on 127.0.0.1
#
# The go-sdk version is whatever the repository's go.mod requires. The binary is cached in
# ${MCP_CONFORMANCE_CACHE:-${TMPDIR:-/tmp}/mcp-gateway-conformance}/everything-server-<version>.
# Note: the server's own default is -stateless=true, where server->client requests
# (sampling, elicitation) are impossible; we pass -stateless=false unless --stateless.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PKG=github.com/modelcontextprotocol/go-sdk/conformance/everything-server

build() {
	local ver cache bin
	ver="$(cd "$ROOT" && go list -m -f '{{.Version}}' github.com/modelcontextprotocol/go-sdk)"
	cache="${MCP_CONFORMANCE_CACHE:-${TMPDIR:-/tmp}/mcp-gateway-conformance}"
	bin="$cache/everything-server-$ver"
	if [ ! -x "$bin" ]; then
		mkdir -p "$cache"
		echo "everything-server.sh: building $PKG@$ver" >&2
		(cd "$ROOT" && go build -o "$bin.tmp.$$" "$PKG") && mv -f "$bin.tmp.$$" "$bin"
	fi
	printf '%s\n' "$bin"
}

case "${1:-}" in
--build-only) build; exit 0 ;;
--free-port) exec python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' ;;
--stdio) bin="$(build)"; exec "$bin" ;;
--stateless) [ $# -eq 2 ] || { echo "usage: $0 --stateless ADDR" >&2; exit 2; }
	bin="$(build)"; exec "$bin" -http="$2" -stateless=true ;;
""|-h|--help) sed -n '2,14p' "$0" >&2; exit 2 ;;
*) [ $# -eq 1 ] || { echo "usage: $0 [--stateless] ADDR" >&2; exit 2; }
	bin="$(build)"; exec "$bin" -http="$1" -stateless=false ;;
esac
