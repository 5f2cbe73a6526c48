package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

const connectUsage = `Usage: mcp-gateway-hub connect CLIENT [flags]

Prints the entry that points CLIENT at this hub's /mcp, or with --write merges it into the
client's own configuration file (a backup FILE.bak-<time> is kept; other entries are kept).

Clients: claude-desktop, claude-code, cursor, vscode, windsurf, codex, gemini, stdio
(docs/CLIENTS.md shows every entry and where each format comes from).

Flags:
`

// DefaultKeyEnv is the environment variable a client entry reads the MCP key from, where
// the client can read one. It is not MCPGW_KEY: that one holds the administrator's key for
// the admin commands, and an AI client should get a key of its own (keys create --name cursor).
const DefaultKeyEnv = "MCP_GATEWAY_KEY"

// connectOpts is a parsed connect command line.
type connectOpts struct {
	client, url, name, key, keyEnv, file string
	write, printOnly                     bool
}

// keyRef says how an entry carries the key.
type keyRef struct {
	literal string // the key itself (embedded in clear), or ""
	env     string // the environment variable the client expands at start
}

// clientEntry is what one client needs: the JSON or TOML document to merge, where it goes,
// and what to tell the user.
type clientEntry struct {
	format    string         // "json" or "toml"
	container string         // top-level key holding the servers
	entry     map[string]any // this server's entry
	inputs    []any          // VS Code only: input variables the entry refers to
	embeds    bool           // the key is in the entry in clear
	hints     []string       // printed to stderr
}

// connectClient describes one supported client.
type connectClient struct {
	title string
	path  func(home, cwd string) string // default file; nil: no file of its own
	build func(o connectOpts, k keyRef) (clientEntry, error)
}

var serverNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

func bearer(k keyRef, envForm string) string {
	if k.literal != "" {
		return "Bearer " + k.literal
	}
	return "Bearer " + envForm
}

// mcpRemoteArgs is the argument list of the mcp-remote stdio bridge. The header value is
// "Authorization:${AUTH_HEADER}" with the whole "Bearer …" in AUTH_HEADER: mcp-remote
// expands ${VAR} in its arguments, and a value without spaces survives the argument quoting
// of clients on Windows (mcp-remote's README, "Custom headers").
// Source: https://github.com/geelen/mcp-remote (README: --header, --allow-http)
func mcpRemoteArgs(u string) []any {
	args := []any{"-y", "mcp-remote", u, "--header", "Authorization:${AUTH_HEADER}"}
	if pu, err := url.Parse(u); err == nil && pu.Scheme == "http" && !isLoopbackHost(pu.Hostname()) {
		args = append(args, "--allow-http") // mcp-remote refuses plain HTTP beyond localhost without it
	}
	return args
}

// embeddedKey is the key for a client that cannot read an environment variable: --key, else
// the value of --key-env.
func embeddedKey(o connectOpts, k keyRef, client string) (string, error) {
	if k.literal != "" {
		return k.literal, nil
	}
	if v := os.Getenv(k.env); v != "" {
		return v, nil
	}
	if o.write {
		return "", fmt.Errorf("%s cannot read the key from the environment: pass --key KEY or set %s (an MCP key: keys create --name %s): %w", client, k.env, client, ErrUsage)
	}
	return "<MCP key>", nil
}

var connectClients = map[string]connectClient{
	// Claude Desktop's claude_desktop_config.json takes stdio servers (command/args/env) only;
	// a remote server with a header goes through the mcp-remote bridge, the key in env.
	// Sources: https://modelcontextprotocol.io/quickstart/user (file location, mcpServers),
	// https://github.com/anthropics/claude-ai-mcp/issues/120 (a url+headers entry is "not a
	// valid MCP server configuration" and skipped), https://github.com/geelen/mcp-remote.
	"claude-desktop": {
		title: "Claude Desktop",
		path: func(home, _ string) string {
			switch runtime.GOOS {
			case "darwin":
				return filepath.Join(home, "Library", "Application Support", "Claude", "claude_desktop_config.json")
			case "windows":
				if d := os.Getenv("APPDATA"); d != "" {
					return filepath.Join(d, "Claude", "claude_desktop_config.json")
				}
				return filepath.Join(home, "AppData", "Roaming", "Claude", "claude_desktop_config.json")
			}
			return filepath.Join(home, ".config", "Claude", "claude_desktop_config.json")
		},
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			key, err := embeddedKey(o, k, "claude-desktop")
			if err != nil {
				return clientEntry{}, err
			}
			return clientEntry{format: "json", container: "mcpServers", embeds: true,
				entry: map[string]any{"command": "npx", "args": mcpRemoteArgs(o.url), "env": map[string]any{"AUTH_HEADER": "Bearer " + key}},
				hints: []string{"Claude Desktop starts the bridge with npx: Node.js must be installed. Restart Claude Desktop after the change."}}, nil
		},
	},
	// Claude Code: project-scoped .mcp.json, type "http", url, headers; ${VAR} is expanded in
	// url and headers when Claude Code starts. Or the command line: claude mcp add --transport
	// http NAME URL --header "Authorization: Bearer …".
	// Source: https://code.claude.com/docs/en/mcp ("Environment variable expansion in
	// .mcp.json": ${VAR} and ${VAR:-default} in command, args, env, url, headers).
	"claude-code": {
		title: "Claude Code",
		path:  func(_, cwd string) string { return filepath.Join(cwd, ".mcp.json") },
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			e := clientEntry{format: "json", container: "mcpServers", embeds: k.literal != "",
				entry: map[string]any{"type": "http", "url": o.url, "headers": map[string]any{"Authorization": bearer(k, "${"+k.env+"}")}}}
			hdr := "Authorization: Bearer $" + k.env
			if k.literal != "" {
				hdr = "Authorization: Bearer <key>"
			}
			e.hints = []string{
				"This is the project's .mcp.json (shared through the repository: keep keys out of it).",
				fmt.Sprintf("Or, for your user only: claude mcp add --transport http --scope user %s %s --header %q", o.name, o.url, hdr),
				"  (the shell expands the variable there: the key is then stored in clear in ~/.claude.json)",
			}
			return e, nil
		},
	},
	// Cursor: ~/.cursor/mcp.json (or .cursor/mcp.json), mcpServers with url + headers; header
	// values expand ${env:NAME}.
	// Sources: https://cursor.com/docs/mcp, https://userjot.com/docs/mcp-cursor (${env:…} in headers).
	"cursor": {
		title: "Cursor",
		path:  func(home, _ string) string { return filepath.Join(home, ".cursor", "mcp.json") },
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			return clientEntry{format: "json", container: "mcpServers", embeds: k.literal != "",
				entry: map[string]any{"url": o.url, "headers": map[string]any{"Authorization": bearer(k, "${env:"+k.env+"}")}}}, nil
		},
	},
	// VS Code: .vscode/mcp.json (or the user profile's mcp.json) with a top-level "servers"
	// object; an HTTP server has type "http", url, headers; "inputs" declares a promptString
	// with password: true that VS Code asks for once and keeps in its secret storage.
	// Source: https://code.visualstudio.com/docs/copilot/reference/mcp-configuration
	"vscode": {
		title: "VS Code",
		path:  func(_, cwd string) string { return filepath.Join(cwd, ".vscode", "mcp.json") },
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			id := o.name + "-key"
			e := clientEntry{format: "json", container: "servers", embeds: k.literal != "",
				entry: map[string]any{"type": "http", "url": o.url, "headers": map[string]any{"Authorization": bearer(k, "${input:"+id+"}")}}}
			if k.literal == "" {
				e.inputs = []any{map[string]any{"type": "promptString", "id": id, "description": "MCP key for " + o.name, "password": true}}
				e.hints = []string{"VS Code asks for the key when the server first starts and keeps it in its secret storage."}
			}
			return e, nil
		},
	},
	// Windsurf: ~/.codeium/windsurf/mcp_config.json, mcpServers with serverUrl (not url) and
	// headers; values interpolate ${env:NAME}.
	// Sources: https://docs.windsurf.com/windsurf/cascade/mcp,
	// https://raw.githubusercontent.com/newtalaria/docs/main/mcp/windsurf.md (serverUrl, headers, ${env:…}).
	"windsurf": {
		title: "Windsurf",
		path:  func(home, _ string) string { return filepath.Join(home, ".codeium", "windsurf", "mcp_config.json") },
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			return clientEntry{format: "json", container: "mcpServers", embeds: k.literal != "",
				entry: map[string]any{"serverUrl": o.url, "headers": map[string]any{"Authorization": bearer(k, "${env:"+k.env+"}")}}}, nil
		},
	},
	// Codex CLI: ~/.codex/config.toml, [mcp_servers.NAME] with url (streamable HTTP) and
	// bearer_token_env_var naming the variable that holds the token; Codex refuses an inline
	// bearer_token, so the key never goes into this file.
	// Sources: https://developers.openai.com/codex/mcp ("Streamable HTTP servers": url,
	// bearer_token_env_var, http_headers, env_http_headers), https://github.com/openai/codex/pull/4317,
	// https://raw.githubusercontent.com/newtalaria/docs/main/mcp/codex.md (inline token refused).
	"codex": {
		title: "Codex CLI",
		path: func(home, _ string) string {
			if d := os.Getenv("CODEX_HOME"); d != "" {
				return filepath.Join(d, "config.toml")
			}
			return filepath.Join(home, ".codex", "config.toml")
		},
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			e := clientEntry{format: "toml", container: "mcp_servers",
				entry: map[string]any{"url": o.url, "bearer_token_env_var": k.env}}
			if k.literal != "" {
				e.hints = []string{fmt.Sprintf("Codex reads the key only from the environment: set %s to the key where Codex runs (the key is not written).", k.env)}
			} else {
				e.hints = []string{fmt.Sprintf("Set %s to an MCP key in the environment Codex runs in.", k.env)}
			}
			return e, nil
		},
	},
	// Gemini CLI: ~/.gemini/settings.json, mcpServers with httpUrl (streamable HTTP; "url" is
	// SSE) and headers; string values in settings.json expand $VAR and ${VAR}.
	// Sources: https://github.com/google-gemini/gemini-cli/blob/main/docs/tools/mcp-server.md,
	// https://geminicli.com/docs/reference/configuration ("String values within your settings.json
	// files can reference environment variables using either $VAR_NAME or ${VAR_NAME}").
	"gemini": {
		title: "Gemini CLI",
		path:  func(home, _ string) string { return filepath.Join(home, ".gemini", "settings.json") },
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			return clientEntry{format: "json", container: "mcpServers", embeds: k.literal != "",
				entry: map[string]any{"httpUrl": o.url, "headers": map[string]any{"Authorization": bearer(k, "${"+k.env+"}")}}}, nil
		},
	},
	// A client that only starts stdio servers: the mcp-remote bridge, in the common
	// mcpServers command/args/env shape. Source: https://github.com/geelen/mcp-remote
	"stdio": {
		title: "a stdio-only client (mcp-remote bridge)",
		build: func(o connectOpts, k keyRef) (clientEntry, error) {
			env := map[string]any{}
			embeds := false
			if k.literal != "" {
				env["AUTH_HEADER"] = "Bearer " + k.literal
				embeds = true
			} else {
				env["AUTH_HEADER"] = "Bearer ${" + k.env + "}"
			}
			return clientEntry{format: "json", container: "mcpServers", embeds: embeds,
				entry: map[string]any{"command": "npx", "args": mcpRemoteArgs(o.url), "env": env},
				hints: []string{
					fmt.Sprintf("From a shell: AUTH_HEADER=\"Bearer $%s\" npx -y mcp-remote %s --header 'Authorization:${AUTH_HEADER}'", k.env, o.url),
					"Not every client expands ${VAR} in env: where it does not, put the key itself there (--key).",
				}}, nil
		},
	},
}

func connectClientNames() []string {
	names := make([]string, 0, len(connectClients))
	for n := range connectClients {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func connectCmd(_ context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("connect", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, connectUsage); fs.PrintDefaults() }
	var o connectOpts
	var configPath string
	fs.StringVar(&o.url, "url", "", "the hub's MCP endpoint (default: public_url + /mcp, else http://LISTEN/mcp)")
	fs.StringVar(&configPath, "config", "", "hub.toml to take public_url/listen from")
	fs.Var(secretFlag{&o.key}, "key", "write this key into the entry in clear (default: the entry reads --key-env)")
	fs.StringVar(&o.keyEnv, "key-env", DefaultKeyEnv, "environment variable the client reads the MCP key from")
	fs.StringVar(&o.name, "name", "mcp-gateway", "the server's name in the client")
	fs.BoolVar(&o.write, "write", false, "merge the entry into the client's configuration file")
	fs.StringVar(&o.file, "file", "", "the configuration file to write (default: the client's own)")
	fs.BoolVar(&o.printOnly, "print-only", false, "print the entry, write nothing (the default)")
	pfs := &flagSet{FlagSet: fs}
	if err := pfs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return ErrUsage
	}
	if pfs.NArg() != 1 {
		fs.Usage()
		return ErrUsage
	}
	o.client = pfs.Arg(0)
	c, ok := connectClients[o.client]
	if !ok {
		return fmt.Errorf("unknown client %q: one of %s: %w", o.client, strings.Join(connectClientNames(), ", "), ErrUsage)
	}
	if o.write && o.printOnly {
		return fmt.Errorf("--write and --print-only exclude each other: %w", ErrUsage)
	}
	if !serverNameRE.MatchString(o.name) {
		return fmt.Errorf("--name %q: a letter, then letters, digits, '-' or '_' (64 at most): %w", o.name, ErrUsage)
	}
	if !regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(o.keyEnv) {
		return fmt.Errorf("--key-env %q is not an environment variable name: %w", o.keyEnv, ErrUsage)
	}
	if o.url == "" {
		u, err := defaultMCPURL(configPath)
		if err != nil {
			return err
		}
		o.url = u
	}
	if err := checkMCPURL(o.url); err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	e, err := c.build(o, keyRef{literal: o.key, env: o.keyEnv})
	if err != nil {
		return err
	}
	if pu, _ := url.Parse(o.url); pu.Scheme == "http" && !isLoopbackHost(pu.Hostname()) {
		fmt.Fprintf(env.Stderr, "warning: %s is plain HTTP beyond this machine: the key crosses the network in clear (set public_url to an https:// address)\n", o.url)
	}
	if !o.write {
		out, err := e.snippet(o.name)
		if err != nil {
			return err
		}
		env.Stdout.Write(out)
		if c.path != nil {
			fmt.Fprintf(env.Stderr, "%s: merge this into %s (or run with --write)\n", c.title, c.path("~", "."))
		}
		if e.embeds {
			fmt.Fprintln(env.Stderr, "warning: this entry contains the key in clear")
		}
		for _, h := range e.hints {
			fmt.Fprintln(env.Stderr, h)
		}
		return nil
	}
	path := o.file
	if path == "" {
		if c.path == nil {
			return fmt.Errorf("%s has no configuration file of its own: pass --file FILE: %w", o.client, ErrUsage)
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("find the home directory: %w", err)
		}
		cwd, err := os.Getwd()
		if err != nil {
			return err
		}
		path = c.path(home, cwd)
	}
	res, err := mergeConfigFile(path, o.name, e, time.Now())
	if err != nil {
		return err
	}
	switch {
	case res.unchanged:
		fmt.Fprintf(env.Stdout, "%s is already up to date (%q)\n", path, o.name)
	case res.backup != "":
		fmt.Fprintf(env.Stdout, "wrote %q into %s (backup: %s)\n", o.name, path, res.backup)
	default:
		fmt.Fprintf(env.Stdout, "wrote %q into %s (new file)\n", o.name, path)
	}
	if res.commentsLost {
		fmt.Fprintf(env.Stderr, "warning: %s was rewritten as a whole to replace the entry: its comments are only in the backup\n", path)
	}
	if e.embeds {
		fmt.Fprintf(env.Stderr, "warning: the key is written in clear into %s (file mode 0600); use --key-env where the client can read the environment\n", path)
	}
	for _, h := range e.hints {
		fmt.Fprintln(env.Stderr, h)
	}
	return nil
}

// defaultMCPURL is public_url + /mcp, else http://LISTEN/mcp with an unspecified host as
// 127.0.0.1.
func defaultMCPURL(configPath string) (string, error) {
	c, err := config.Load(configPath)
	if err != nil {
		return "", err
	}
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/") + "/mcp", nil
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "", fmt.Errorf("listen %q: want host:port", c.Listen)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/mcp", nil
}

func checkMCPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q: want http(s)://HOST[:PORT]/mcp", s)
	}
	return nil
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// document is the smallest file that holds the entry.
func (e clientEntry) document(name string) map[string]any {
	doc := map[string]any{e.container: map[string]any{name: e.entry}}
	if len(e.inputs) > 0 {
		doc["inputs"] = e.inputs
	}
	return doc
}

// snippet is the printed form: the smallest file that holds the entry.
func (e clientEntry) snippet(name string) ([]byte, error) {
	if e.format == "toml" {
		// [container.name] alone (name is a bare key: serverNameRE), so that appending it
		// to a file that already has a [container] table stays valid.
		var b bytes.Buffer
		fmt.Fprintf(&b, "[%s.%s]\n", e.container, name)
		enc := toml.NewEncoder(&b)
		enc.Indent = ""
		if err := enc.Encode(e.entry); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	return marshalJSON(e.document(name))
}

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "${env:…}" and URLs readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

type mergeResult struct {
	backup       string
	unchanged    bool
	commentsLost bool
}

// mergeConfigFile puts the entry into the file at path, keeping every other setting. A file
// that does not parse is refused and left as it is; a changed file is first copied to
// path.bak-<UTC time>; a file that already holds the entry is not touched.
func mergeConfigFile(path, name string, e clientEntry, now time.Time) (mergeResult, error) {
	var res mergeResult
	// A configuration file kept as a symlink (dotfiles) is written through the link, not
	// replaced by a regular file.
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("read %s: %w", path, err)
	}
	var out []byte
	if e.format == "toml" {
		out, res.unchanged, res.commentsLost, err = mergeTOML(path, old, name, e)
	} else {
		out, res.unchanged, err = mergeJSON(path, old, name, e)
	}
	if err != nil || res.unchanged {
		return res, err
	}
	mode := os.FileMode(0o600)
	if exists {
		if fi, err := os.Stat(path); err == nil && !e.embeds {
			mode = fi.Mode().Perm()
		}
		res.backup = path + ".bak-" + now.UTC().Format("20060102T150405Z")
		for i := 2; ; i++ { // never replace an earlier backup made in the same second
			if _, err := os.Lstat(res.backup); errors.Is(err, os.ErrNotExist) {
				break
			}
			res.backup = fmt.Sprintf("%s.bak-%s-%d", path, now.UTC().Format("20060102T150405Z"), i)
		}
		if err := writeFileAtomic(res.backup, old, 0o600); err != nil {
			return res, fmt.Errorf("back up %s: %w", path, err)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return res, err
	}
	if err := writeFileAtomic(path, out, mode); err != nil {
		return res, fmt.Errorf("write %s: %w", path, err)
	}
	return res, nil
}

func mergeJSON(path string, old []byte, name string, e clientEntry) ([]byte, bool, error) {
	doc := map[string]any{}
	if len(bytes.TrimSpace(old)) > 0 {
		if err := json.Unmarshal(old, &doc); err != nil {
			return nil, false, fmt.Errorf("%s is not valid JSON (%v): not overwritten; fix it or pass --file", path, err)
		}
		if doc == nil {
			doc = map[string]any{}
		}
	}
	servers, _ := doc[e.container].(map[string]any)
	if v, ok := doc[e.container]; ok && servers == nil {
		return nil, false, fmt.Errorf("%s: %q is a %T, not an object: not overwritten", path, e.container, v)
	}
	if servers == nil {
		servers = map[string]any{}
	}
	before, _ := json.Marshal(doc)
	servers[name] = e.entry
	doc[e.container] = servers
	if len(e.inputs) > 0 {
		list, ok := doc["inputs"].([]any)
		if v, present := doc["inputs"]; present && !ok {
			return nil, false, fmt.Errorf("%s: \"inputs\" is a %T, not a list: not overwritten", path, v)
		}
		for _, in := range e.inputs {
			id := in.(map[string]any)["id"]
			replaced := false
			for i, have := range list {
				if m, ok := have.(map[string]any); ok && m["id"] == id {
					list[i], replaced = in, true
				}
			}
			if !replaced {
				list = append(list, in)
			}
		}
		doc["inputs"] = list
	}
	after, _ := json.Marshal(doc)
	if bytes.Equal(before, after) {
		return nil, true, nil
	}
	out, err := marshalJSON(doc)
	return out, false, err
}

// mergeTOML appends the entry's table to the file's text when the file has no entry of that
// name (comments and layout stay); it re-encodes the whole file only to replace an entry.
func mergeTOML(path string, old []byte, name string, e clientEntry) (out []byte, unchanged, commentsLost bool, err error) {
	doc := map[string]any{}
	if _, err := toml.Decode(string(old), &doc); err != nil {
		return nil, false, false, fmt.Errorf("%s is not valid TOML (%v): not overwritten; fix it or pass --file", path, err)
	}
	servers, _ := doc[e.container].(map[string]any)
	if v, ok := doc[e.container]; ok && servers == nil {
		return nil, false, false, fmt.Errorf("%s: %q is a %T, not a table: not overwritten", path, e.container, v)
	}
	if have, ok := servers[name]; ok {
		if reflect.DeepEqual(have, e.entry) {
			return nil, true, false, nil
		}
		servers[name] = e.entry
		return encodeTOML(doc)
	}
	block, err := e.snippet(name)
	if err != nil {
		return nil, false, false, err
	}
	text := append([]byte{}, old...)
	if len(text) > 0 && !bytes.HasSuffix(text, []byte("\n")) {
		text = append(text, '\n')
	}
	if len(text) > 0 {
		text = append(text, '\n')
	}
	text = append(text, block...)
	// TOML does not let a [table] extend an inline table (mcp_servers = { … }); the parser
	// here is lenient about that, Codex's is not: such a file is re-encoded instead.
	inline := regexp.MustCompile(`(?m)^\s*["']?` + regexp.QuoteMeta(e.container) + `["']?\s*=`).Match(old)
	check := map[string]any{}
	if _, err := toml.Decode(string(text), &check); err == nil && !inline {
		if s, _ := check[e.container].(map[string]any); s != nil && reflect.DeepEqual(s[name], e.entry) {
			return text, false, false, nil
		}
	}
	if servers == nil {
		servers = map[string]any{}
	}
	servers[name] = e.entry
	doc[e.container] = servers
	return encodeTOML(doc)
}

func encodeTOML(doc map[string]any) ([]byte, bool, bool, error) {
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(doc); err != nil {
		return nil, false, false, err
	}
	return b.Bytes(), false, true, nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it over path, so a
// reader (the client) never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
