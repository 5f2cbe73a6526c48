#!/bin/sh
# install.sh - install mcp-gateway-agent for the current user (Linux and macOS, amd64 and arm64).
#
#   curl -fsSL https://HUB/install.sh | sh                          # latest release from that hub
#   curl -fsSL https://HUB/install.sh | MCPGW_ENROLL=mcpgw_... sh     # and enrol it with an agent key
#   sh install.sh --releases https://example.com/releases --version 1.4.0
#   sh install.sh --uninstall [--purge]
#
# Run `sh install.sh --help` for every option. docs/INSTALL.md explains what is verified.
#
# Every line below is a function definition, and the only command runs on the last line: a
# download cut off half way defines nothing useful and runs nothing. The call is in braces so
# that a cut inside the last line is a syntax error too, not a call without the arguments.

mcpgw_usage() {
	cat <<'EOF'
Usage: install.sh [options]

Installs mcp-gateway-agent into ~/.mcp-gateway-agent/bin and adds that directory to PATH.

Options:
  --hub URL             hub to install from (env MCPGW_HUB; default: the hub that served this script)
  --releases URL        download from a release directory (URL/VERSION/FILE) instead of the hub;
                        needs --version
  --version V           install version V instead of the hub's current one (env MCPGW_VERSION)
  --enroll TOKEN        agent key: run `mcp-gateway-agent setup --hub URL` afterwards, the key
                        in its environment. Prefer env MCPGW_ENROLL=TOKEN: an option is on this
                        shell's command line, which every user of the machine can read (ps)
  --agent-id ID         agent id for --enroll (default: the agent's own default, the host name)
  --release-key KEY     Ed25519 public key (base64) that signs releases (env MCPGW_RELEASE_KEY;
                        default: the key of the hub that served this script)
  --insecure-skip-signature
                        install even when the release signature cannot be checked (no release
                        key known, or no openssl that can verify Ed25519); only the SHA-256 is
                        then checked, which a tampered hub or mirror can forge
                        (env MCPGW_INSECURE_SKIP_SIGNATURE=1). A signature that can be checked
                        always is, and a bad one always stops the install
  --require-signature   the default; kept for older instructions
  --no-modify-path      do not add the bin directory to PATH in shell startup files
  --uninstall           remove the agent's service, binary and PATH lines (config is kept)
  --purge               with --uninstall: also remove ~/.mcp-gateway-agent (config, logs)
  -h, --help            this help
EOF
}

mcpgw_say() { printf 'mcp-gateway install: %s\n' "$*" >&2; }
mcpgw_warn() { printf 'mcp-gateway install: warning: %s\n' "$*" >&2; }
mcpgw_die() {
	printf 'mcp-gateway install: error: %s\n' "$*" >&2
	exit 1
}
mcpgw_has() { command -v "$1" >/dev/null 2>&1; }

# mcpgw_need_arg OPTION VALUE-COUNT: an option that takes a value must have one.
mcpgw_need_arg() {
	[ "$2" -ge 2 ] || mcpgw_die "$1 needs a value"
}

mcpgw_parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--hub) mcpgw_need_arg "$1" $# && mcpgw_hub=$2 && shift ;;
		--hub=*) mcpgw_hub=${1#*=} ;;
		--releases) mcpgw_need_arg "$1" $# && mcpgw_releases=$2 && shift ;;
		--releases=*) mcpgw_releases=${1#*=} ;;
		--version) mcpgw_need_arg "$1" $# && mcpgw_version=$2 && shift ;;
		--version=*) mcpgw_version=${1#*=} ;;
		--enroll) mcpgw_need_arg "$1" $# && mcpgw_enroll=$2 && mcpgw_enroll_argv=1 && shift ;;
		--enroll=*) mcpgw_enroll=${1#*=} && mcpgw_enroll_argv=1 ;;
		--agent-id) mcpgw_need_arg "$1" $# && mcpgw_agent_id=$2 && shift ;;
		--agent-id=*) mcpgw_agent_id=${1#*=} ;;
		--release-key) mcpgw_need_arg "$1" $# && mcpgw_key=$2 && shift ;;
		--release-key=*) mcpgw_key=${1#*=} ;;
		--require-signature) mcpgw_skip_sig=0 ;;
		--insecure-skip-signature) mcpgw_skip_sig=1 ;;
		--no-modify-path) mcpgw_modify_path=0 ;;
		--uninstall) mcpgw_action=uninstall ;;
		--purge) mcpgw_purge=1 ;;
		-h | --help) mcpgw_action=help ;;
		*) mcpgw_die "unknown option $1 (see --help)" ;;
		esac
		shift
	done
}

# mcpgw_defaults sets every variable from the environment and the values the hub filled in.
mcpgw_defaults() {
	# The hub replaces these two placeholders when it serves the script.
	mcpgw_served_hub='@@MCPGW_HUB_URL@@'
	mcpgw_served_key='@@MCPGW_RELEASE_KEY@@'
	case $mcpgw_served_hub in @@*) mcpgw_served_hub= ;; esac
	case $mcpgw_served_key in @@*) mcpgw_served_key= ;; esac

	mcpgw_hub=${MCPGW_HUB:-$mcpgw_served_hub}
	mcpgw_releases=${MCPGW_RELEASES:-}
	mcpgw_version=${MCPGW_VERSION:-}
	mcpgw_enroll=${MCPGW_ENROLL:-}
	mcpgw_agent_id=
	mcpgw_key=${MCPGW_RELEASE_KEY:-$mcpgw_served_key}
	mcpgw_enroll_argv=0
	mcpgw_skip_sig=0
	[ "${MCPGW_INSECURE_SKIP_SIGNATURE:-}" = 1 ] && mcpgw_skip_sig=1
	mcpgw_modify_path=1
	mcpgw_action=install
	mcpgw_purge=0
	mcpgw_tmp=
	[ -n "${HOME:-}" ] || mcpgw_die "HOME is not set"
	mcpgw_home=$HOME/.mcp-gateway-agent
	mcpgw_bindir=$mcpgw_home/bin
	mcpgw_bin=$mcpgw_bindir/mcp-gateway-agent
	# Lines added to shell startup files end with this marker; `mcp-gateway-agent uninstall`
	# and --uninstall remove exactly the lines that carry it.
	mcpgw_mark='# added by mcp-gateway-agent install.sh'
}

mcpgw_check_url() { # NAME URL
	case $2 in
	http://* | https://*) ;;
	*) mcpgw_die "$1 must be an http:// or https:// URL, got '$2'" ;;
	esac
	case $2 in
	*[!]A-Za-z0-9._~:/%@[-]*) mcpgw_die "$1 may only contain letters, digits and ._~:/%@[]- (no query), got '$2'" ;;
	esac
}

mcpgw_check_name() { # WHAT VALUE: a version or file name, used in URLs and paths
	case $2 in
	'' | *[!A-Za-z0-9._+-]* | .*) mcpgw_die "the $1 '$2' is not a plain name ([A-Za-z0-9._+-], not starting with a dot)" ;;
	esac
}

mcpgw_detect_platform() {
	mcpgw_os=$(uname -s)
	case $mcpgw_os in
	Linux) mcpgw_os=linux ;;
	Darwin) mcpgw_os=darwin ;;
	MINGW* | MSYS* | CYGWIN* | Windows_NT) mcpgw_die "on Windows use install.ps1: irm ${mcpgw_hub:-https://HUB}/install.ps1 | iex" ;;
	*) mcpgw_die "unsupported operating system $mcpgw_os (supported: Linux, macOS)" ;;
	esac
	mcpgw_arch=$(uname -m)
	case $mcpgw_arch in
	x86_64 | amd64) mcpgw_arch=amd64 ;;
	aarch64 | arm64 | armv8*) mcpgw_arch=arm64 ;;
	*) mcpgw_die "unsupported CPU architecture $mcpgw_arch (supported: x86_64/amd64, aarch64/arm64)" ;;
	esac
	# A shell running under Rosetta 2 reports x86_64 on an Apple silicon Mac: take the native binary.
	if [ "$mcpgw_os" = darwin ] && [ "$mcpgw_arch" = amd64 ] &&
		[ "$(sysctl -n sysctl.proc_translated 2>/dev/null)" = 1 ]; then
		mcpgw_arch=arm64
	fi
}

mcpgw_pick_downloader() {
	if mcpgw_has curl; then
		mcpgw_dl=curl
	elif mcpgw_has wget; then
		mcpgw_dl=wget
	else
		mcpgw_die "neither curl nor wget is installed"
	fi
}

# mcpgw_fetch URL FILE [bar] downloads URL into FILE, or exits naming the URL and the hub's
# answer; with "bar", curl draws a progress bar when stderr is a terminal (the release
# archive: megabytes over a slow link).
mcpgw_fetch() {
	mcpgw_quiet=-s
	if [ "${3:-}" = bar ] && [ -t 2 ]; then mcpgw_quiet=-#; fi
	if [ "$mcpgw_dl" = curl ]; then
		mcpgw_code=$(curl "$mcpgw_quiet" -SL --proto '=http,https' --retry 2 -o "$2" -w '%{http_code}' "$1") ||
			mcpgw_die "download $1 failed"
	else
		if wget -q -O "$2" "$1"; then mcpgw_code=200; else mcpgw_code=error; fi
	fi
	case $mcpgw_code in
	2??) return 0 ;;
	esac
	mcpgw_body=$(head -c 200 "$2" 2>/dev/null | tr -d '\r' | head -n 1)
	mcpgw_die "download $1: HTTP $mcpgw_code${mcpgw_body:+: $mcpgw_body}"
}

# mcpgw_json_string KEY FILE prints the string value of a top-level key of a flat JSON object.
mcpgw_json_string() {
	tr -d '\n\r' <"$2" | sed -n 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p'
}

# mcpgw_resolve sets mcpgw_version, mcpgw_archive and mcpgw_base (URL of the version's files).
mcpgw_resolve() {
	if [ -n "$mcpgw_releases" ]; then
		mcpgw_check_url "--releases" "$mcpgw_releases"
		[ -n "$mcpgw_version" ] || mcpgw_die "--releases needs --version (a release directory has no 'latest'; a hub does)"
		mcpgw_base=${mcpgw_releases%/}
	else
		[ -n "$mcpgw_hub" ] || mcpgw_die "no hub given: use --hub URL (or MCPGW_HUB), or --releases URL --version V"
		mcpgw_base=$mcpgw_hub/api/v1/agent/releases
		if [ -z "$mcpgw_version" ]; then
			mcpgw_say "asking $mcpgw_hub for the current release for $mcpgw_os/$mcpgw_arch"
			mcpgw_fetch "$mcpgw_base/latest?os=$mcpgw_os&arch=$mcpgw_arch" "$mcpgw_tmp/latest.json"
			if [ "$mcpgw_code" = 204 ] || [ ! -s "$mcpgw_tmp/latest.json" ]; then
				mcpgw_die "the hub offers no release to new installs on $mcpgw_os/$mcpgw_arch right now (a staged rollout?); pass --version V"
			fi
			mcpgw_version=$(mcpgw_json_string version "$mcpgw_tmp/latest.json")
			mcpgw_archive=$(mcpgw_json_string archive "$mcpgw_tmp/latest.json")
			mcpgw_archive=${mcpgw_archive##*/}
			[ -n "$mcpgw_version" ] || mcpgw_die "the hub's answer names no version: $(head -c 300 "$mcpgw_tmp/latest.json")"
		fi
	fi
	mcpgw_check_name version "$mcpgw_version"
	[ -n "${mcpgw_archive:-}" ] || mcpgw_archive=mcp-gateway-agent_${mcpgw_version}_${mcpgw_os}_${mcpgw_arch}.tar.gz
	mcpgw_check_name "archive name" "$mcpgw_archive"
	case $mcpgw_archive in
	*.tar.gz) ;;
	*) mcpgw_die "the release archive $mcpgw_archive is not a .tar.gz" ;;
	esac
	mcpgw_base=$mcpgw_base/$mcpgw_version
}

mcpgw_sha256() { # FILE
	if mcpgw_has sha256sum; then
		sha256sum "$1" | awk '{print $1}'
	elif mcpgw_has shasum; then
		shasum -a 256 "$1" | awk '{print $1}'
	elif mcpgw_has openssl; then
		openssl dgst -sha256 "$1" | awk '{print $NF}'
	fi
}

mcpgw_verify_checksum() {
	if ! mcpgw_has sha256sum && ! mcpgw_has shasum && ! mcpgw_has openssl; then
		mcpgw_die "no SHA-256 tool found (sha256sum, shasum or openssl); cannot verify the download"
	fi
	mcpgw_want=$(awk -v f="$mcpgw_archive" '$2 == f || $2 == "*" f { print $1; exit }' "$mcpgw_tmp/checksums.txt")
	[ -n "$mcpgw_want" ] || mcpgw_die "checksums.txt of $mcpgw_version does not list $mcpgw_archive"
	mcpgw_got=$(mcpgw_sha256 "$mcpgw_tmp/$mcpgw_archive")
	mcpgw_want=$(printf '%s' "$mcpgw_want" | tr 'A-F' 'a-f')
	if [ "$mcpgw_got" != "$mcpgw_want" ]; then
		mcpgw_die "checksum mismatch for $mcpgw_archive: expected $mcpgw_want, got $mcpgw_got; the download is corrupt or was tampered with; nothing was installed"
	fi
	mcpgw_say "SHA-256 of $mcpgw_archive matches checksums.txt"
}

# mcpgw_pem KEY FILE writes an Ed25519 public key (base64 of the raw 32 bytes) as PEM: the
# SubjectPublicKeyInfo prefix is 12 bytes, so its base64 simply precedes the key's.
mcpgw_pem() {
	printf -- '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA%s\n-----END PUBLIC KEY-----\n' "$1" >"$2"
}

# mcpgw_ed25519_verify KEY MESSAGE-FILE SIGNATURE-BASE64-FILE
mcpgw_ed25519_verify() {
	mcpgw_pem "$1" "$mcpgw_tmp/key.pem" &&
		tr -d ' \r\n' <"$3" >"$mcpgw_tmp/sig.b64" &&
		openssl base64 -d -A -in "$mcpgw_tmp/sig.b64" -out "$mcpgw_tmp/sig.bin" 2>/dev/null &&
		openssl pkeyutl -verify -pubin -inkey "$mcpgw_tmp/key.pem" -rawin \
			-in "$2" -sigfile "$mcpgw_tmp/sig.bin" >/dev/null 2>&1
}

# mcpgw_openssl_can_verify: openssl >= 1.1.1 (not LibreSSL) verifies a known good signature.
mcpgw_openssl_can_verify() {
	mcpgw_has openssl || return 1
	printf 'mcp-gateway-agent install.sh signature self-test\n' >"$mcpgw_tmp/selftest.txt"
	printf 'Hc/Hg1D95WfX2/luILQ076HbTLbDh1wlNNGaqU8ACoMLuhtKrpxxRQ3n9UdEDhXdHnZooyzI3InJNZJGZNSICQ==\n' >"$mcpgw_tmp/selftest.sig"
	mcpgw_ed25519_verify 'qjsIySh8FjEoUYD4PWeVpFAXd95E5x6mMVyhZkmLNfQ=' "$mcpgw_tmp/selftest.txt" "$mcpgw_tmp/selftest.sig"
}

# mcpgw_unverifiable REASON HOW-TO-FIX: without a checked signature nothing is installed, unless
# the user asked for that in so many words.
mcpgw_unverifiable() {
	if [ "$mcpgw_skip_sig" = 1 ]; then
		mcpgw_warn "release signature NOT checked: $1 (--insecure-skip-signature). Only the SHA-256 is checked, against a checksums.txt from the same server; the agent's own updates always check the signature."
		return 0
	fi
	mcpgw_die "cannot check the release signature: $1; nothing was installed. $2, or, accepting an unverified binary, run again with --insecure-skip-signature (curl ... | sh -s -- --insecure-skip-signature, or curl ... | MCPGW_INSECURE_SKIP_SIGNATURE=1 sh)"
}

mcpgw_verify_signature() {
	if [ -z "$mcpgw_key" ]; then
		if [ -n "$mcpgw_served_key" ] || [ -z "$mcpgw_served_hub" ]; then
			mcpgw_unverifiable "no release public key known" "Pass the release public key with --release-key KEY (env MCPGW_RELEASE_KEY)"
		else
			mcpgw_unverifiable "the hub $mcpgw_served_hub serves no release public key (its binary was built without one)" "Pass the release public key with --release-key KEY (env MCPGW_RELEASE_KEY)"
		fi
		return 0
	fi
	case $mcpgw_key in
	*[!A-Za-z0-9+/=]*) mcpgw_die "the release key is not base64: '$mcpgw_key'" ;;
	esac
	[ ${#mcpgw_key} -eq 44 ] || mcpgw_die "the release key must be the base64 of a 32-byte Ed25519 public key (44 characters), got ${#mcpgw_key}"
	if ! mcpgw_openssl_can_verify; then
		mcpgw_unverifiable "no openssl on PATH can verify Ed25519 (OpenSSL 1.1.1 or newer is needed; LibreSSL, as on macOS, cannot)" "Put OpenSSL 1.1.1 or newer first on PATH (macOS: brew install openssl@3; PATH=\"\$(brew --prefix openssl@3)/bin:\$PATH\")"
		return 0
	fi
	mcpgw_fetch "$mcpgw_base/checksums.txt.sig" "$mcpgw_tmp/checksums.txt.sig"
	if ! mcpgw_ed25519_verify "$mcpgw_key" "$mcpgw_tmp/checksums.txt" "$mcpgw_tmp/checksums.txt.sig"; then
		mcpgw_die "bad signature on checksums.txt of $mcpgw_version: it was not signed by the release key $mcpgw_key; nothing was installed"
	fi
	mcpgw_say "Ed25519 signature of checksums.txt verified"
}

mcpgw_install_binary() {
	mkdir "$mcpgw_tmp/x"
	tar -xzf "$mcpgw_tmp/$mcpgw_archive" -C "$mcpgw_tmp/x" || mcpgw_die "cannot unpack $mcpgw_archive"
	mcpgw_new=$mcpgw_tmp/x/mcp-gateway-agent
	if [ ! -f "$mcpgw_new" ]; then
		mcpgw_new=$(find "$mcpgw_tmp/x" -type f -name mcp-gateway-agent | head -n 1)
	fi
	if [ -z "$mcpgw_new" ] || [ ! -f "$mcpgw_new" ]; then
		mcpgw_die "$mcpgw_archive contains no mcp-gateway-agent binary"
	fi
	mkdir -p "$mcpgw_bindir" || mcpgw_die "cannot create $mcpgw_bindir"
	# Copy next to the target, then rename over it: a running agent keeps its old file.
	if ! { cp "$mcpgw_new" "$mcpgw_bindir/.mcp-gateway-agent.new" &&
		chmod 755 "$mcpgw_bindir/.mcp-gateway-agent.new" &&
		mv -f "$mcpgw_bindir/.mcp-gateway-agent.new" "$mcpgw_bin"; }; then
		mcpgw_die "cannot install the binary into $mcpgw_bindir"
	fi
	mcpgw_installed=$("$mcpgw_bin" version </dev/null 2>&1) ||
		mcpgw_die "the installed binary does not run: $mcpgw_installed"
	mcpgw_say "installed $mcpgw_bin: $mcpgw_installed"
	case $mcpgw_installed in
	*" $mcpgw_version "* | *" v$mcpgw_version "* | *" ${mcpgw_version#v} "*) ;;
	*) mcpgw_warn "the installed binary reports '$mcpgw_installed', not version $mcpgw_version" ;;
	esac
}

# mcpgw_rc_files prints the shell startup files to change, one a line.
mcpgw_rc_files() {
	echo "$HOME/.profile"
	case ${SHELL:-} in */bash) echo "$HOME/.bashrc" ;; esac
	for f in "$HOME/.bashrc" "$HOME/.bash_profile" "$HOME/.bash_login"; do
		[ -f "$f" ] && echo "$f"
	done
	mcpgw_zrc=${ZDOTDIR:-$HOME}/.zshrc
	case ${SHELL:-} in */zsh) echo "$mcpgw_zrc" ;; *) [ -f "$mcpgw_zrc" ] && echo "$mcpgw_zrc" ;; esac
	mcpgw_fish=${XDG_CONFIG_HOME:-$HOME/.config}/fish
	[ -d "$mcpgw_fish" ] && echo "$mcpgw_fish/config.fish"
	return 0
}

mcpgw_add_to_path() {
	[ "$mcpgw_modify_path" = 1 ] || return 0
	# shellcheck disable=SC2016 # $HOME and $PATH are expanded by the shell that reads the file
	mcpgw_line_sh='case ":$PATH:" in *":$HOME/.mcp-gateway-agent/bin:"*) ;; *) PATH="$HOME/.mcp-gateway-agent/bin:$PATH"; export PATH ;; esac'
	# shellcheck disable=SC2016
	mcpgw_line_fish='contains $HOME/.mcp-gateway-agent/bin $PATH; or set -gx PATH $HOME/.mcp-gateway-agent/bin $PATH'
	mcpgw_rc_files | sort -u | while IFS= read -r f; do
		if [ -f "$f" ] && grep -qF "$mcpgw_mark" "$f"; then
			continue
		fi
		case $f in
		*.fish) mcpgw_line=$mcpgw_line_fish ;;
		*) mcpgw_line=$mcpgw_line_sh ;;
		esac
		# Start on a fresh line when the file does not end with a newline.
		mcpgw_nl=
		if [ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ]; then mcpgw_nl='\n'; fi
		if mkdir -p "$(dirname "$f")" && printf "$mcpgw_nl%s %s\n" "$mcpgw_line" "$mcpgw_mark" >>"$f"; then
			mcpgw_say "added $mcpgw_bindir to PATH in $f"
		else
			mcpgw_warn "could not add $mcpgw_bindir to PATH in $f"
		fi
	done
}

mcpgw_remove_path_lines() {
	mcpgw_rc_files | sort -u | while IFS= read -r f; do
		if [ ! -f "$f" ] || ! grep -qF "$mcpgw_mark" "$f"; then
			continue
		fi
		# Rewrite in place (cat >) so the file keeps its owner, mode and symlinks.
		grep -vF "$mcpgw_mark" "$f" >"$f.mcpgw-tmp"
		cat "$f.mcpgw-tmp" >"$f" && rm -f "$f.mcpgw-tmp" && mcpgw_say "removed the PATH line from $f"
	done
}

mcpgw_enroll_agent() {
	[ -n "$mcpgw_enroll" ] || return 0
	[ -n "$mcpgw_hub" ] || mcpgw_die "--enroll needs the hub's URL (--hub URL)"
	if [ "$mcpgw_enroll_argv" = 1 ]; then
		mcpgw_warn "the agent key was given with --enroll, on this shell's command line, where every user of this machine could read it (ps) while the install ran; next time use: curl -fsSL $mcpgw_hub/install.sh | MCPGW_ENROLL=mcpgw_... sh"
	fi
	mcpgw_say "enrolling with $mcpgw_hub"
	# The key goes in the environment of setup only: a command line is readable by every user.
	if [ -n "$mcpgw_agent_id" ]; then
		MCPGW_API_KEY=$mcpgw_enroll "$mcpgw_bin" setup --hub "$mcpgw_hub" --agent-id "$mcpgw_agent_id" </dev/null
	else
		MCPGW_API_KEY=$mcpgw_enroll "$mcpgw_bin" setup --hub "$mcpgw_hub" </dev/null
	fi || mcpgw_die "enrolment failed (the agent is installed; retry with: MCPGW_API_KEY=mcpgw_... $mcpgw_bin setup --hub $mcpgw_hub)"
}

mcpgw_install() {
	mcpgw_detect_platform
	mcpgw_pick_downloader
	if [ -n "$mcpgw_hub" ]; then
		mcpgw_check_url "the hub URL" "$mcpgw_hub"
		mcpgw_hub=${mcpgw_hub%/}
	fi
	mcpgw_tmp=$(mktemp -d 2>/dev/null || mktemp -d -t mcpgw) || mcpgw_die "cannot create a temporary directory"
	trap 'rm -rf "$mcpgw_tmp"' EXIT
	trap 'exit 130' INT TERM
	mcpgw_resolve
	mcpgw_say "installing mcp-gateway-agent $mcpgw_version for $mcpgw_os/$mcpgw_arch from $mcpgw_base"
	mcpgw_fetch "$mcpgw_base/checksums.txt" "$mcpgw_tmp/checksums.txt"
	mcpgw_verify_signature
	mcpgw_fetch "$mcpgw_base/$mcpgw_archive" "$mcpgw_tmp/$mcpgw_archive" bar
	mcpgw_verify_checksum
	mcpgw_install_binary
	mcpgw_add_to_path
	mcpgw_enroll_agent
	mcpgw_next_steps
}

mcpgw_next_steps() {
	if [ -n "$mcpgw_enroll" ]; then
		mcpgw_say "done. Start it: mcp-gateway-agent run   (or as a service: mcp-gateway-agent service install)"
	else
		mcpgw_say "done. Next: mcp-gateway-agent setup${mcpgw_hub:+ --hub $mcpgw_hub}"
	fi
	case ":$PATH:" in
	*":$mcpgw_bindir:"*) ;;
	*) mcpgw_say "open a new shell, or run: export PATH=\"$mcpgw_bindir:\$PATH\"" ;;
	esac
}

mcpgw_uninstall() {
	if [ -x "$mcpgw_bin" ]; then
		# The agent removes its service first; this script then removes what remains, so an
		# agent too old to know `uninstall` is still removed.
		if [ "$mcpgw_purge" = 1 ]; then
			"$mcpgw_bin" uninstall --yes --purge </dev/null || mcpgw_warn "mcp-gateway-agent uninstall failed; removing the files anyway"
		else
			"$mcpgw_bin" uninstall --yes </dev/null || mcpgw_warn "mcp-gateway-agent uninstall failed; removing the files anyway"
		fi
	fi
	mcpgw_remove_path_lines
	rm -rf "$mcpgw_bindir" || mcpgw_die "cannot remove $mcpgw_bindir"
	if [ "$mcpgw_purge" = 1 ]; then
		rm -rf "$mcpgw_home" || mcpgw_die "cannot remove $mcpgw_home"
		mcpgw_say "removed $mcpgw_home"
	else
		mcpgw_say "removed $mcpgw_bindir (the configuration in $mcpgw_home is kept; --purge removes it)"
	fi
}

mcpgw_main() {
	set -u
	mcpgw_defaults
	mcpgw_parse_args "$@"
	case $mcpgw_action in
	help) mcpgw_usage ;;
	uninstall) mcpgw_uninstall ;;
	*) mcpgw_install ;;
	esac
}

{ mcpgw_main "$@"; }
