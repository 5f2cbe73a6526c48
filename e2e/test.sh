#!/usr/bin/env bash
# e2e/test.sh — the whole test suite, as CI runs it: installs what the tests need
# (npm peers, Node 22 for the conformance suite, PostgreSQL started if down), then runs
# go vet, every Go test (unit, store on SQLite and PostgreSQL, end to end with real
# MCP servers and clients), and the MCP conformance suite directly and through the hub.
set -euo pipefail
exec </dev/null
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CI="${CI:-true}"   # tests that need a peer fail instead of skipping when it is missing
bash e2e/setup.sh

echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 20m ./...

echo "== conformance"
bash e2e/conformance/gateway.sh
