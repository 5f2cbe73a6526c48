// Package clientconf builds the entry that points an AI client (Claude Desktop, Claude
// Code, Cursor, VS Code, Windsurf, Codex, Gemini, a stdio-only client) at the hub's /mcp:
// the configuration behind `mcp-gateway-hub connect` and the web console's Connect page
// (GET /api/v1/connect). docs/CLIENTS.md shows every entry and where each format comes from.
package clientconf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/BurntSushi/toml"
)

// Opts are what an entry is built from.
type Opts struct {
	URL  string // the hub's MCP endpoint
	Name string // the server's name in the client
	// Write: the entry is written into the client's file, so a client that cannot read the
	// environment needs the key itself (ErrNoKey without one).
	Write bool
	// NoEnv: never take the key from this process's environment (the hub serving the
	// entry to a browser); a client that cannot read the environment gets "<MCP key>".
	NoEnv bool
}

// ErrNoKey: a client that cannot read the environment, written without a key.
var ErrNoKey = errors.New("no key for a client that cannot read the environment")

// KeyRef says how an entry carries the key.
type KeyRef struct {
	Literal string // the key itself (embedded in clear), or ""
	Env     string // the environment variable the client expands at start
}

// Entry is what one client needs: the JSON or TOML document to merge, where it goes,
// and what to tell the user.
type Entry struct {
	Format    string         // "json" or "toml"
	Container string         // top-level key holding the servers
	Entry     map[string]any // this server's entry
	Inputs    []any          // VS Code only: input variables the entry refers to
	Embeds    bool           // the key is in the entry in clear
	Hints     []string       // printed to stderr
}

// Client describes one supported client.
type Client struct {
	Title string
	Path  func(home, cwd string) string // default file; nil: no file of its own
	Build func(o Opts, k KeyRef) (Entry, error)
}

func bearer(k KeyRef, envForm string) string {
	if k.Literal != "" {
		return "Bearer " + k.Literal
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
	if pu, err := url.Parse(u); err == nil && pu.Scheme == "http" && !IsLoopbackHost(pu.Hostname()) {
		args = append(args, "--allow-http") // mcp-remote refuses plain HTTP beyond localhost without it
	}
	return args
}

// embeddedKey is the key for a client that cannot read an environment variable: --key, else
// the value of --key-env.
func embeddedKey(o Opts, k KeyRef, client string) (string, error) {
	if k.Literal != "" {
		return k.Literal, nil
	}
	if o.NoEnv {
		return "<MCP key>", nil
	}
	if v := os.Getenv(k.Env); v != "" {
		return v, nil
	}
	if o.Write {
		return "", fmt.Errorf("%s cannot read the key from the environment: pass --key KEY or set %s (an MCP key: keys create --name %s): %w", client, k.Env, client, ErrNoKey)
	}
	return "<MCP key>", nil
}

// Clients are the supported clients by name.
var Clients = map[string]Client{
	// Claude Desktop's claude_desktop_config.json takes stdio servers (command/args/env) only;
	// a remote server with a header goes through the mcp-remote bridge, the key in env.
	// Sources: https://modelcontextprotocol.io/quickstart/user (file location, mcpServers),
	// https://github.com/anthropics/claude-ai-mcp/issues/120 (a url+headers entry is "not a
	// valid MCP server configuration" and skipped), https://github.com/geelen/mcp-remote.
	"claude-desktop": {
		Title: "Claude Desktop",
		Path: func(home, _ string) string {
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
		Build: func(o Opts, k KeyRef) (Entry, error) {
			key, err := embeddedKey(o, k, "claude-desktop")
			if err != nil {
				return Entry{}, err
			}
			return Entry{Format: "json", Container: "mcpServers", Embeds: true,
				Entry: map[string]any{"command": "npx", "args": mcpRemoteArgs(o.URL), "env": map[string]any{"AUTH_HEADER": "Bearer " + key}},
				Hints: []string{"Claude Desktop starts the bridge with npx: Node.js must be installed. Restart Claude Desktop after the change."}}, nil
		},
	},
	// Claude Code: project-scoped .mcp.json, type "http", url, headers; ${VAR} is expanded in
	// url and headers when Claude Code starts. Or the command line: claude mcp add --transport
	// http NAME URL --header "Authorization: Bearer …".
	// Source: https://code.claude.com/docs/en/mcp ("Environment variable expansion in
	// .mcp.json": ${VAR} and ${VAR:-default} in command, args, env, url, headers).
	"claude-code": {
		Title: "Claude Code",
		Path:  func(_, cwd string) string { return filepath.Join(cwd, ".mcp.json") },
		Build: func(o Opts, k KeyRef) (Entry, error) {
			e := Entry{Format: "json", Container: "mcpServers", Embeds: k.Literal != "",
				Entry: map[string]any{"type": "http", "url": o.URL, "headers": map[string]any{"Authorization": bearer(k, "${"+k.Env+"}")}}}
			hdr := "Authorization: Bearer $" + k.Env
			if k.Literal != "" {
				hdr = "Authorization: Bearer <key>"
			}
			e.Hints = []string{
				"This is the project's .mcp.json (shared through the repository: keep keys out of it).",
				fmt.Sprintf("Or, for your user only: claude mcp add --transport http --scope user %s %s --header %q", o.Name, o.URL, hdr),
				"  (the shell expands the variable there: the key is then stored in clear in ~/.claude.json)",
			}
			return e, nil
		},
	},
	// Cursor: ~/.cursor/mcp.json (or .cursor/mcp.json), mcpServers with url + headers; header
	// values expand ${env:NAME}.
	// Sources: https://cursor.com/docs/mcp, https://userjot.com/docs/mcp-cursor (${env:…} in headers).
	"cursor": {
		Title: "Cursor",
		Path:  func(home, _ string) string { return filepath.Join(home, ".cursor", "mcp.json") },
		Build: func(o Opts, k KeyRef) (Entry, error) {
			return Entry{Format: "json", Container: "mcpServers", Embeds: k.Literal != "",
				Entry: map[string]any{"url": o.URL, "headers": map[string]any{"Authorization": bearer(k, "${env:"+k.Env+"}")}}}, nil
		},
	},
	// VS Code: .vscode/mcp.json (or the user profile's mcp.json) with a top-level "servers"
	// object; an HTTP server has type "http", url, headers; "inputs" declares a promptString
	// with password: true that VS Code asks for once and keeps in its secret storage.
	// Source: https://code.visualstudio.com/docs/copilot/reference/mcp-configuration
	"vscode": {
		Title: "VS Code",
		Path:  func(_, cwd string) string { return filepath.Join(cwd, ".vscode", "mcp.json") },
		Build: func(o Opts, k KeyRef) (Entry, error) {
			id := o.Name + "-key"
			e := Entry{Format: "json", Container: "servers", Embeds: k.Literal != "",
				Entry: map[string]any{"type": "http", "url": o.URL, "headers": map[string]any{"Authorization": bearer(k, "${input:"+id+"}")}}}
			if k.Literal == "" {
				e.Inputs = []any{map[string]any{"type": "promptString", "id": id, "description": "MCP key for " + o.Name, "password": true}}
				e.Hints = []string{"VS Code asks for the key when the server first starts and keeps it in its secret storage."}
			}
			return e, nil
		},
	},
	// Windsurf: ~/.codeium/windsurf/mcp_config.json, mcpServers with serverUrl (not url) and
	// headers; values interpolate ${env:NAME}.
	// Sources: https://docs.windsurf.com/windsurf/cascade/mcp,
	// https://raw.githubusercontent.com/newtalaria/docs/main/mcp/windsurf.md (serverUrl, headers, ${env:…}).
	"windsurf": {
		Title: "Windsurf",
		Path:  func(home, _ string) string { return filepath.Join(home, ".codeium", "windsurf", "mcp_config.json") },
		Build: func(o Opts, k KeyRef) (Entry, error) {
			return Entry{Format: "json", Container: "mcpServers", Embeds: k.Literal != "",
				Entry: map[string]any{"serverUrl": o.URL, "headers": map[string]any{"Authorization": bearer(k, "${env:"+k.Env+"}")}}}, nil
		},
	},
	// Codex CLI: ~/.codex/config.toml, [mcp_servers.NAME] with url (streamable HTTP) and
	// bearer_token_env_var naming the variable that holds the token; Codex refuses an inline
	// bearer_token, so the key never goes into this file.
	// Sources: https://developers.openai.com/codex/mcp ("Streamable HTTP servers": url,
	// bearer_token_env_var, http_headers, env_http_headers), https://github.com/openai/codex/pull/4317,
	// https://raw.githubusercontent.com/newtalaria/docs/main/mcp/codex.md (inline token refused).
	"codex": {
		Title: "Codex CLI",
		Path: func(home, _ string) string {
			if d := os.Getenv("CODEX_HOME"); d != "" {
				return filepath.Join(d, "config.toml")
			}
			return filepath.Join(home, ".codex", "config.toml")
		},
		Build: func(o Opts, k KeyRef) (Entry, error) {
			e := Entry{Format: "toml", Container: "mcp_servers",
				Entry: map[string]any{"url": o.URL, "bearer_token_env_var": k.Env}}
			if k.Literal != "" {
				e.Hints = []string{fmt.Sprintf("Codex reads the key only from the environment: set %s to the key where Codex runs (the key is not written).", k.Env)}
			} else {
				e.Hints = []string{fmt.Sprintf("Set %s to an MCP key in the environment Codex runs in.", k.Env)}
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
		Title: "Gemini CLI",
		Path:  func(home, _ string) string { return filepath.Join(home, ".gemini", "settings.json") },
		Build: func(o Opts, k KeyRef) (Entry, error) {
			return Entry{Format: "json", Container: "mcpServers", Embeds: k.Literal != "",
				Entry: map[string]any{"httpUrl": o.URL, "headers": map[string]any{"Authorization": bearer(k, "${"+k.Env+"}")}}}, nil
		},
	},
	// A client that only starts stdio servers: the mcp-remote bridge, in the common
	// mcpServers command/args/env shape. Source: https://github.com/geelen/mcp-remote
	"stdio": {
		Title: "a stdio-only client (mcp-remote bridge)",
		Build: func(o Opts, k KeyRef) (Entry, error) {
			env := map[string]any{}
			embeds := false
			if k.Literal != "" {
				env["AUTH_HEADER"] = "Bearer " + k.Literal
				embeds = true
			} else {
				env["AUTH_HEADER"] = "Bearer ${" + k.Env + "}"
			}
			return Entry{Format: "json", Container: "mcpServers", Embeds: embeds,
				Entry: map[string]any{"command": "npx", "args": mcpRemoteArgs(o.URL), "env": env},
				Hints: []string{
					fmt.Sprintf("From a shell: AUTH_HEADER=\"Bearer $%s\" npx -y mcp-remote %s --header 'Authorization:${AUTH_HEADER}'", k.Env, o.URL),
					"Not every client expands ${VAR} in env: where it does not, put the key itself there (--key).",
				}}, nil
		},
	},
}

// Names lists Clients' names, sorted.
func Names() []string {
	names := make([]string, 0, len(Clients))
	for n := range Clients {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// IsLoopbackHost reports whether h is localhost or a loopback address.
func IsLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// document is the smallest file that holds the entry.
func (e Entry) Document(name string) map[string]any {
	doc := map[string]any{e.Container: map[string]any{name: e.Entry}}
	if len(e.Inputs) > 0 {
		doc["inputs"] = e.Inputs
	}
	return doc
}

// snippet is the printed form: the smallest file that holds the entry.
func (e Entry) Snippet(name string) ([]byte, error) {
	if e.Format == "toml" {
		// [container.name] alone (name is a bare key: serverNameRE), so that appending it
		// to a file that already has a [container] table stays valid.
		var b bytes.Buffer
		fmt.Fprintf(&b, "[%s.%s]\n", e.Container, name)
		enc := toml.NewEncoder(&b)
		enc.Indent = ""
		if err := enc.Encode(e.Entry); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	return MarshalJSON(e.Document(name))
}

// MarshalJSON is indented JSON without HTML escaping.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "${env:…}" and URLs readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
