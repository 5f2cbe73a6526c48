package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/clientconf"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/connect/*.golden")

// runConnect runs a command line and returns stdout and stderr apart.
func runConnect(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Stdin: strings.NewReader(""),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return out.String(), errOut.String(), err
}

// connectEnv makes the output independent of the machine's environment.
func connectEnv(t *testing.T) {
	t.Setenv(DefaultKeyEnv, "")
	t.Setenv("CODEX_HOME", "")
	t.Setenv("MCPGW_PUBLIC_URL", "")
	t.Setenv("MCPGW_LISTEN", "")
}

func TestConnectGolden(t *testing.T) {
	connectEnv(t)
	for _, client := range clientconf.Names() {
		for _, variant := range []struct {
			suffix string
			args   []string
		}{
			{"", nil},
			{"-key", []string{"--key", "mcpgw_GOLDENKEY"}},
		} {
			t.Run(client+variant.suffix, func(t *testing.T) {
				if client == "claude-desktop" && runtime.GOOS != "linux" {
					t.Skip("the golden names the Linux path of claude_desktop_config.json")
				}
				args := append([]string{"connect", client, "--url", "https://mcp.example.com/mcp"}, variant.args...)
				stdout, stderr, err := runConnect(t, args...)
				if err != nil {
					t.Fatalf("%v: %v\n%s", args, err, stderr)
				}
				got := stdout + "--- stderr ---\n" + stderr
				golden := filepath.Join("testdata", "connect", client+variant.suffix+".golden")
				if *updateGolden {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("connect %s output differs from %s:\n--- got ---\n%s\n--- want ---\n%s", client, golden, got, want)
				}
			})
		}
	}
}

// shape is a document's container key, server fields and (VS Code) input fields.
func shape(t *testing.T, format string, data []byte) (container string, fields []string, inputs bool) {
	t.Helper()
	doc := map[string]any{}
	var err error
	if format == "toml" {
		_, err = toml.Decode(string(data), &doc)
	} else {
		err = json.Unmarshal(data, &doc)
	}
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	for k, v := range doc {
		if k == "inputs" {
			inputs = true
			continue
		}
		container = k
		servers, ok := v.(map[string]any)
		if !ok || len(servers) != 1 {
			t.Fatalf("%q is not an object with one server: %v", k, v)
		}
		for _, entry := range servers {
			for f := range entry.(map[string]any) {
				fields = append(fields, f)
			}
		}
	}
	sort.Strings(fields)
	return container, fields, inputs
}

// The entry of every client has the container and fields of that client's documented
// example (testdata/connect/documented, sources in SOURCES.md).
func TestConnectMatchesDocumentedShape(t *testing.T) {
	connectEnv(t)
	for _, client := range clientconf.Names() {
		t.Run(client, func(t *testing.T) {
			format, ext := "json", ".json"
			if client == "codex" {
				format, ext = "toml", ".toml"
			}
			doc, err := os.ReadFile(filepath.Join("testdata", "connect", "documented", client+ext))
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, err := runConnect(t, "connect", client, "--url", "https://mcp.example.com/mcp", "--key-env", "EXAMPLE_TOKEN")
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			wc, wf, wi := shape(t, format, doc)
			gc, gf, gi := shape(t, format, []byte(stdout))
			if wc != gc || strings.Join(wf, ",") != strings.Join(gf, ",") || wi != gi {
				t.Errorf("connect %s: container %q fields %v inputs %v; documented: %q %v %v\n%s", client, gc, gf, gi, wc, wf, wi, stdout)
			}
		})
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return doc
}

func backups(t *testing.T, path string) []string {
	t.Helper()
	m, err := filepath.Glob(path + ".bak-*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// --write merges into a file with other servers and settings: they are kept, the original
// is kept as a backup, and a second run changes nothing.
func TestConnectWriteMergesJSON(t *testing.T) {
	connectEnv(t)
	for _, client := range []string{"cursor", "vscode", "windsurf", "gemini", "claude-code"} {
		t.Run(client, func(t *testing.T) {
			container := "mcpServers"
			if client == "vscode" {
				container = "servers"
			}
			path := filepath.Join(t.TempDir(), "sub", "mcp.json")
			os.MkdirAll(filepath.Dir(path), 0o755)
			original := `{"theme": "dark", "` + container + `": {"other": {"command": "other-server", "args": ["--x"]}},
			 "inputs": [{"type": "promptString", "id": "other-key", "password": true}]}`
			if err := os.WriteFile(path, []byte(original), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"connect", client, "--write", "--file", path, "--url", "http://127.0.0.1:3200/mcp"}
			out, stderr, err := runConnect(t, args...)
			if err != nil || !strings.Contains(out, "backup") {
				t.Fatalf("%v: %v\n%s%s", args, err, out, stderr)
			}
			doc := readJSON(t, path)
			servers := doc[container].(map[string]any)
			if doc["theme"] != "dark" || servers["other"] == nil || servers["mcp-gateway"] == nil {
				t.Fatalf("merged file lost an entry or lacks ours: %v", doc)
			}
			if in := doc["inputs"].([]any); client == "vscode" && len(in) != 2 || client != "vscode" && len(in) != 1 {
				t.Errorf("inputs after merge: %v", in)
			}
			bak := backups(t, path)
			if len(bak) != 1 {
				t.Fatalf("backups: %v", bak)
			}
			if b, _ := os.ReadFile(bak[0]); string(b) != original {
				t.Errorf("backup %s is not the original:\n%s", bak[0], b)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
				t.Errorf("mode %v changed though no key was written", fi.Mode().Perm())
			}
			first, _ := os.ReadFile(path)
			out, _, err = runConnect(t, args...)
			if err != nil || !strings.Contains(out, "already up to date") {
				t.Fatalf("second run: %v\n%s", err, out)
			}
			if again, _ := os.ReadFile(path); !bytes.Equal(first, again) || len(backups(t, path)) != 1 {
				t.Errorf("second run changed the file or made another backup")
			}
			// A changed entry replaces ours only, with a second backup (same second or not).
			if _, _, err := runConnect(t, "connect", client, "--write", "--file", path, "--url", "http://127.0.0.1:3300/mcp"); err != nil {
				t.Fatal(err)
			}
			doc = readJSON(t, path)
			if !strings.Contains(mustJSON(doc[container]), "3300") || doc[container].(map[string]any)["other"] == nil || len(backups(t, path)) != 2 {
				t.Errorf("replacing the entry: %v, backups %v", doc, backups(t, path))
			}
		})
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestConnectWriteNewFileWithKey(t *testing.T) {
	connectEnv(t)
	path := filepath.Join(t.TempDir(), "Claude", "claude_desktop_config.json")
	// Claude Desktop cannot read the environment: without a key --write is refused.
	if _, _, err := runConnect(t, "connect", "claude-desktop", "--write", "--file", path); err == nil {
		t.Fatal("claude-desktop --write without a key succeeded")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a file was written after the refusal")
	}
	out, stderr, err := runConnect(t, "connect", "claude-desktop", "--write", "--file", path, "--key", "mcpgw_SECRET")
	if err != nil || !strings.Contains(out, "new file") || !strings.Contains(stderr, "in clear") {
		t.Fatalf("%v\n%s%s", err, out, stderr)
	}
	if strings.Contains(out+stderr, "mcpgw_SECRET") {
		t.Errorf("the key was printed:\n%s%s", out, stderr)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file with the key: %v, mode %v (want 0600)", err, fi.Mode().Perm())
	}
	env := readJSON(t, path)["mcpServers"].(map[string]any)["mcp-gateway"].(map[string]any)["env"].(map[string]any)
	if env["AUTH_HEADER"] != "Bearer mcpgw_SECRET" {
		t.Errorf("env: %v", env)
	}
	// The key from --key-env's variable, when set.
	t.Setenv(DefaultKeyEnv, "mcpgw_FROMENV")
	if _, _, err := runConnect(t, "connect", "claude-desktop", "--write", "--file", path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "Bearer mcpgw_FROMENV") {
		t.Errorf("key from %s not used:\n%s", DefaultKeyEnv, b)
	}
	// An existing file that gets a key in clear becomes 0600.
	cursor := filepath.Join(t.TempDir(), "mcp.json")
	os.WriteFile(cursor, []byte(`{}`), 0o644)
	if _, _, err := runConnect(t, "connect", "cursor", "--write", "--file", cursor, "--key", "mcpgw_SECRET"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(cursor); fi.Mode().Perm() != 0o600 {
		t.Errorf("cursor file with a key in clear: mode %v", fi.Mode().Perm())
	}
	// Codex never gets the key in its file.
	codex := filepath.Join(t.TempDir(), "config.toml")
	if _, _, err := runConnect(t, "connect", "codex", "--write", "--file", codex, "--key", "mcpgw_SECRET"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(codex); strings.Contains(string(b), "mcpgw_SECRET") || !strings.Contains(string(b), "bearer_token_env_var") {
		t.Errorf("codex file:\n%s", b)
	}
}

func TestConnectWriteMergesTOML(t *testing.T) {
	connectEnv(t)
	path := filepath.Join(t.TempDir(), "config.toml")
	original := "# my codex settings\nmodel = \"o4\"\n\n[mcp_servers.other]\ncommand = \"other-server\" # keep me\n"
	os.WriteFile(path, []byte(original), 0o644)
	args := []string{"connect", "codex", "--write", "--file", path, "--url", "http://127.0.0.1:3200/mcp"}
	if out, stderr, err := runConnect(t, args...); err != nil || strings.Contains(stderr, "comments") {
		t.Fatalf("%v\n%s%s", err, out, stderr)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), original) {
		t.Errorf("the original text (comments) was not kept:\n%s", b)
	}
	var doc struct {
		Model      string
		MCPServers map[string]map[string]any `toml:"mcp_servers"`
	}
	if _, err := toml.Decode(string(b), &doc); err != nil {
		t.Fatalf("result does not parse: %v\n%s", err, b)
	}
	if doc.Model != "o4" || doc.MCPServers["other"]["command"] != "other-server" ||
		doc.MCPServers["mcp-gateway"]["url"] != "http://127.0.0.1:3200/mcp" || doc.MCPServers["mcp-gateway"]["bearer_token_env_var"] != DefaultKeyEnv {
		t.Errorf("merged: %+v", doc)
	}
	if len(backups(t, path)) != 1 {
		t.Errorf("backups: %v", backups(t, path))
	}
	if out, _, err := runConnect(t, args...); err != nil || !strings.Contains(out, "already up to date") || len(backups(t, path)) != 1 {
		t.Errorf("second run: %v %s, backups %v", err, out, backups(t, path))
	}
	// An inline table cannot be extended by a [table]: the file is re-encoded, still valid.
	inline := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(inline, []byte("mcp_servers = { other = { command = \"x\" } }\n"), 0o644)
	if _, stderr, err := runConnect(t, "connect", "codex", "--write", "--file", inline); err != nil || !strings.Contains(stderr, "comments") {
		t.Fatalf("inline table: %v %s", err, stderr)
	}
	b, _ = os.ReadFile(inline)
	doc.MCPServers = nil
	if _, err := toml.Decode(string(b), &doc); err != nil || doc.MCPServers["other"] == nil || doc.MCPServers["mcp-gateway"] == nil {
		t.Errorf("inline merge: %v %+v\n%s", err, doc, b)
	}
}

// A file that does not parse, or whose servers key is not an object, is not overwritten.
func TestConnectRefusesInvalidFiles(t *testing.T) {
	connectEnv(t)
	for _, c := range []struct{ client, name, content, want string }{
		{"cursor", "mcp.json", `{"mcpServers": {"other": {}},`, "not valid JSON"},
		{"vscode", "mcp.json", "{\n  // a comment\n  \"servers\": {}\n}", "not valid JSON"},
		{"gemini", "settings.json", `{"mcpServers": "nope"}`, "not an object"},
		{"gemini", "settings.json", `[1, 2]`, "not valid JSON"},
		{"vscode", "mcp.json", `{"servers": {}, "inputs": {}}`, "not a list"},
		{"codex", "config.toml", "[mcp_servers.other\ncommand = 1\n", "not valid TOML"},
		{"codex", "config.toml", "mcp_servers = 3\n", "not a table"},
	} {
		path := filepath.Join(t.TempDir(), c.name)
		os.WriteFile(path, []byte(c.content), 0o644)
		_, _, err := runConnect(t, "connect", c.client, "--write", "--file", path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s %q: %v, want an error naming the file and %q", c.client, c.content, err, c.want)
		}
		if b, _ := os.ReadFile(path); string(b) != c.content || len(backups(t, path)) != 0 {
			t.Errorf("%s %q: the file was changed or backed up", c.client, c.content)
		}
	}
}

func TestConnectFlags(t *testing.T) {
	connectEnv(t)
	t.Setenv(DefaultKeyEnv, "mcpgw_ENVSECRET")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"connect"}, "Clients:"},
		{[]string{"connect", "emacs"}, "unknown client"},
		{[]string{"connect", "cursor", "--name", "bad name"}, "--name"},
		{[]string{"connect", "cursor", "--key-env", "A-B"}, "--key-env"},
		{[]string{"connect", "cursor", "--url", "ftp://x/mcp"}, "--url"},
		{[]string{"connect", "cursor", "--write", "--print-only"}, "exclude"},
		{[]string{"connect", "stdio", "--write"}, "--file"},
	} {
		stdout, stderr, err := runConnect(t, c.args...)
		if err == nil {
			t.Errorf("%v succeeded", c.args)
		}
		if msg := stdout + stderr + err.Error(); !strings.Contains(msg, c.want) || strings.Contains(msg, "mcpgw_ENVSECRET") {
			t.Errorf("%v: want %q and no key:\n%s", c.args, c.want, msg)
		}
	}
	// --help shows no key, from any variable.
	_, stderr, _ := runConnect(t, "connect", "cursor", "--help", "--key", "mcpgw_FLAGSECRET")
	if strings.Contains(stderr, "SECRET") {
		t.Errorf("usage shows a key:\n%s", stderr)
	}
	// Default URL: public_url, else the listen address (unspecified host → 127.0.0.1).
	t.Setenv("MCPGW_LISTEN", "0.0.0.0:4100")
	if out, _, _ := runConnect(t, "connect", "cursor"); !strings.Contains(out, `"http://127.0.0.1:4100/mcp"`) {
		t.Errorf("default from listen:\n%s", out)
	}
	t.Setenv("MCPGW_PUBLIC_URL", "https://mcp.example.com/")
	if out, _, _ := runConnect(t, "connect", "cursor"); !strings.Contains(out, `"https://mcp.example.com/mcp"`) {
		t.Errorf("default from public_url:\n%s", out)
	}
}

// headerTransport sends fixed headers, as the client would from its entry.
type headerTransport map[string]string

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// endpoint reads the URL and headers out of a printed entry, resolving the variable syntax
// the client documents ($VAR forms, ${env:…}, ${input:…}, mcp-remote's --header argument) to
// the key, as that client would at start.
func endpoint(t *testing.T, client, printed, key string) (string, map[string]string) {
	t.Helper()
	resolve := regexp.MustCompile(`\$\{(env:|input:)?[A-Za-z0-9_-]+\}`)
	if client == "codex" {
		var doc struct {
			MCPServers map[string]struct {
				URL               string `toml:"url"`
				BearerTokenEnvVar string `toml:"bearer_token_env_var"`
			} `toml:"mcp_servers"`
		}
		if _, err := toml.Decode(printed, &doc); err != nil {
			t.Fatal(err)
		}
		e := doc.MCPServers["mcp-gateway"]
		if e.BearerTokenEnvVar != DefaultKeyEnv {
			t.Fatalf("codex entry: %+v", e)
		}
		return e.URL, map[string]string{"Authorization": "Bearer " + key}
	}
	var doc map[string]map[string]struct {
		URL       string            `json:"url"`
		ServerURL string            `json:"serverUrl"`
		HTTPURL   string            `json:"httpUrl"`
		Headers   map[string]string `json:"headers"`
		Args      []string          `json:"args"`
		Env       map[string]string `json:"env"`
	}
	var raw map[string]json.RawMessage
	json.Unmarshal([]byte(printed), &raw)
	delete(raw, "inputs")
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%v\n%s", err, printed)
	}
	for _, servers := range doc {
		e := servers["mcp-gateway"]
		hdr := map[string]string{}
		if len(e.Args) > 0 { // mcp-remote: URL is the argument after the package, header "Name:Value"
			for i, a := range e.Args {
				if a == "--header" {
					name, value, _ := strings.Cut(e.Args[i+1], ":")
					value = strings.ReplaceAll(value, "${AUTH_HEADER}", e.Env["AUTH_HEADER"])
					hdr[name] = resolve.ReplaceAllString(value, key)
				}
			}
			return e.Args[2], hdr
		}
		for k, v := range e.Headers {
			hdr[k] = resolve.ReplaceAllString(v, key)
		}
		return e.URL + e.ServerURL + e.HTTPURL, hdr
	}
	t.Fatalf("no entry in\n%s", printed)
	return "", nil
}

// End to end: the URL and headers of every client's generated entry, resolved as that client
// resolves them, reach a real hub with a real MCP client (go-sdk) and list its tools; the
// same entry with another key is refused.
func TestConnectEntriesReachHub(t *testing.T) {
	connectEnv(t)
	h := hubtest.Start(t, nil)
	for _, client := range clientconf.Names() {
		t.Run(client, func(t *testing.T) {
			args := []string{"connect", client, "--url", h.MCPURL()}
			if client == "claude-desktop" {
				args = append(args, "--key", h.OwnerKey) // it cannot read the environment
			}
			printed, stderr, err := runConnect(t, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			try := func(key string) error {
				u, hdr := endpoint(t, client, printed, key)
				if u != h.MCPURL() {
					t.Fatalf("url %q, want %q", u, h.MCPURL())
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				c := mcp.NewClient(&mcp.Implementation{Name: client, Version: "1"}, nil)
				cs, err := c.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: u, HTTPClient: &http.Client{Transport: headerTransport(hdr)}}, nil)
				if err != nil {
					return err
				}
				defer cs.Close()
				_, err = cs.ListTools(ctx, nil)
				return err
			}
			if err := try(h.OwnerKey); err != nil {
				t.Fatalf("the %s entry does not reach the hub: %v\n%s", client, err, printed)
			}
			if client == "claude-desktop" {
				return // the key is in the entry itself
			}
			if err := try("mcpgw_" + strings.Repeat("x", 43)); err == nil {
				t.Fatalf("the %s entry with a wrong key was accepted", client)
			}
		})
	}
}

// A file kept as a symlink is written through it: the link stays a link.
func TestConnectWriteThroughSymlink(t *testing.T) {
	connectEnv(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles-mcp.json")
	os.WriteFile(target, []byte(`{"mcpServers": {"other": {"url": "https://x/mcp"}}}`), 0o644)
	link := filepath.Join(dir, "mcp.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if _, stderr, err := runConnect(t, "connect", "cursor", "--write", "--file", link); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced by a file: %v", err)
	}
	if s := readJSON(t, target)["mcpServers"].(map[string]any); s["other"] == nil || s["mcp-gateway"] == nil {
		t.Errorf("target after merge: %v", s)
	}
}

// Whatever a configuration file holds, merging either refuses it or yields a file of the same
// format that holds the entry; it never panics.
func FuzzConnectMerge(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"mcpServers": {"a": {"url": "u"}}}`, `{"servers": {}, "inputs": [1, {"id": "mcp-gateway-key"}]}`,
		`{"inputs": {}}`, `{"mcpServers": null}`, "model = 1\n[mcp_servers.a]\nurl = \"u\"\n",
		"mcp_servers = { a = { url = \"u\" } }\n", "[mcp_servers]\n", "[[mcp_servers]]\nx = 1\n", "mcp_servers = 3",
	} {
		f.Add(seed)
	}
	vs, _ := clientconf.Clients["vscode"].Build(clientconf.Opts{URL: "http://127.0.0.1:3200/mcp", Name: "mcp-gateway"}, clientconf.KeyRef{Env: DefaultKeyEnv})
	cx, _ := clientconf.Clients["codex"].Build(clientconf.Opts{URL: "http://127.0.0.1:3200/mcp", Name: "mcp-gateway"}, clientconf.KeyRef{Env: DefaultKeyEnv})
	f.Fuzz(func(t *testing.T, content string) {
		for _, e := range []clientconf.Entry{vs, cx} {
			var out []byte
			var unchanged bool
			var err error
			if e.Format == "toml" {
				out, unchanged, _, err = mergeTOML("f", []byte(content), "mcp-gateway", e)
			} else {
				out, unchanged, err = mergeJSON("f", []byte(content), "mcp-gateway", e)
			}
			if err != nil || unchanged {
				continue
			}
			doc := map[string]any{}
			if e.Format == "toml" {
				_, err = toml.Decode(string(out), &doc)
			} else {
				err = json.Unmarshal(out, &doc)
			}
			if err != nil {
				t.Fatalf("%s merge of %q gave a file that does not parse: %v\n%s", e.Format, content, err, out)
			}
			if s, _ := doc[e.Container].(map[string]any); s == nil || s["mcp-gateway"] == nil {
				t.Fatalf("%s merge of %q lacks the entry:\n%s", e.Format, content, out)
			}
		}
	})
}
