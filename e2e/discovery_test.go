package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// discoveryPolicy denies one tool whole (hidden from lists and searches), one call by its
// argument (not decidable without arguments: the tool stays listed), and everything but
// read tools to viewers.
const discoveryPolicy = `
default = "allow"

[[rules]]
name = "no-env"
effect = "deny"
tools = ["*__get-env"]
reason = "environment variables stay on the laptop"

[[rules]]
name = "no-secret-echo"
effect = "deny"
tools = ["*__echo"]
when = [{ arg = "message", glob = "*secret*" }]
reason = "no secrets through echo"

[[rules]]
name = "viewers-read"
effect = "allow"
roles = ["viewer"]
risk = ["read"]

[[rules]]
name = "viewers-only-read"
effect = "deny"
roles = ["viewer"]
reason = "viewers may only call read tools"
`

// genBackends × genPerBackend generated tools join the real servers' tools.
const (
	genBackends   = 4
	genPerBackend = 500
)

// startDiscoveryHub starts a hub with agent "laptop" serving server-everything,
// server-filesystem and server-memory, and agent "fleet" serving 2,000 generated tools
// (e2e/ts/gentools.mjs), and waits for all of them.
func startDiscoveryHub(t *testing.T) *hubtest.Hub {
	t.Helper()
	node := nodeBin(t)
	everything, filesystem, memory := npmBin(t, "mcp-server-everything"), npmBin(t, "mcp-server-filesystem"), npmBin(t, "mcp-server-memory")
	dir := t.TempDir()
	file := filepath.Join(dir, "policy.toml")
	if err := os.WriteFile(file, []byte(discoveryPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	hub := hubtest.Start(t, func(c *config.Config) {
		c.PolicyFile = file
		c.Discovery.Applications = map[string]string{"claude-desktop": "discovery"}
	})
	agent := buildBinary(t, "agent/cmd/mcp-gateway-agent")
	laptop := fmt.Sprintf("[[backends]]\nname = \"everything\"\ntransport = \"stdio\"\ncommand = %q\n\n"+
		"[[backends]]\nname = \"filesystem\"\ntransport = \"stdio\"\ncommand = %q\nargs = [%q]\n\n"+
		"[[backends]]\nname = \"memory\"\ntransport = \"stdio\"\ncommand = %q\n[backends.env]\nMEMORY_FILE_PATH = %q\n",
		everything, filesystem, dir, memory, filepath.Join(dir, "memory.jsonl"))
	var fleet strings.Builder
	script := filepath.Join(repoRoot(t), "e2e", "ts", "gentools.mjs")
	for i := range genBackends {
		fmt.Fprintf(&fleet, "[[backends]]\nname = \"gen%d\"\ntransport = \"stdio\"\ncommand = %q\nargs = [%q, \"%d\", \"%d\"]\n\n",
			i, node, script, genPerBackend, i)
	}
	for id, backends := range map[string]string{"laptop": laptop, "fleet": fleet.String()} {
		conf := filepath.Join(t.TempDir(), "config.toml")
		body := fmt.Sprintf("[agent]\nagent_id = %q\ngateway_url = %q\napi_key = %q\n\n%s", id, hub.AgentURL(), hub.EnrollAgent(t, id), backends)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		start(t, nil, agent, "run", "--headless", "--config", conf)
	}
	waitFor(t, 3*time.Minute, "the real servers' tools and 2,000 generated ones", func() bool {
		tbl := hub.Server.Router.Table()
		for _, n := range []string{"laptop__everything__echo", "laptop__filesystem__read_text_file", "laptop__memory__read_graph"} {
			if _, ok := tbl.Tool(n); !ok {
				return false
			}
		}
		return len(tbl.Tools()) >= genBackends*genPerBackend+30
	})
	return hub
}

// discoverySession connects the go-sdk client in an era (2026-07-28 stateless, else a
// session-based version) to url.
func discoverySession(t *testing.T, url, key, era string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-discovery-" + era, Version: "1"}, nil)
	var opts *mcp.ClientSessionOptions
	if era != "2026-07-28" {
		opts = &mcp.ClientSessionOptions{ProtocolVersion: era}
	}
	cs, err := client.Connect(ctxFor(t, time.Minute), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: authClient(key)}, opts)
	if err != nil {
		t.Fatalf("connect %s (%s): %v", url, era, err)
	}
	t.Cleanup(func() { cs.Close() })
	if got := cs.InitializeResult().ProtocolVersion; got != era {
		t.Fatalf("negotiated %s, want %s", got, era)
	}
	return cs
}

// search calls search_tools and returns the names it lists, best first.
func search(t *testing.T, ctx context.Context, cs *mcp.ClientSession, args map[string]any) []string {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "search_tools", Arguments: args})
	if err != nil || res.IsError {
		t.Fatalf("search_tools %v: %v %v", args, err, res)
	}
	return hitNames(text(res.Content))
}

// hitNames reads the names of search_tools' answer: the first word of each line after
// the first (which says how many matched).
func hitNames(answer string) []string {
	var names []string
	lines := strings.Split(strings.TrimSpace(answer), "\n")
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

type labelled struct {
	Query  string   `json:"query"`
	Expect []string `json:"expect"`
}

func labelledQueries(t *testing.T) []labelled {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "hub", "discovery", "testdata", "queries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var qs []labelled
	if err := json.Unmarshal(b, &qs); err != nil {
		t.Fatal(err)
	}
	return qs
}

// refusalOf is the JSON-RPC error of a refused call.
func refusalOf(t *testing.T, err error) *jsonrpc.Error {
	t.Helper()
	var werr *jsonrpc.Error
	if !errors.As(err, &werr) {
		t.Fatalf("want a JSON-RPC error, got %v", err)
	}
	return werr
}

// TestDiscoverySurface runs the discovery surface on a hub of 2,000 generated tools plus the
// real npm servers, with the go-sdk client in both eras: the labelled queries find their
// tool in the top 3, a call through call_tool passes the policy and the audit trail exactly
// as a direct call, a viewer's search shows only what it may call, and the surface is chosen
// by URL, key and application.
func TestDiscoverySurface(t *testing.T) {
	hub := startDiscoveryHub(t)
	ctx := ctxFor(t, 10*time.Minute)
	discoURL := hub.MCPURL() + "?surface=discovery"
	queries := labelledQueries(t)

	for _, era := range []string{"2026-07-28", "2025-11-25"} {
		t.Run("labelled queries "+era, func(t *testing.T) {
			cs := discoverySession(t, discoURL, hub.OwnerKey, era)
			if names := listNames(t, ctx, cs); len(names) != 3 || !names["search_tools"] || !names["describe_tool"] || !names["call_tool"] {
				t.Fatalf("the discovery surface lists %v", names)
			}
			// A query for a tool the policy hides from the owner (get-env) must find nothing
			// of it: it is left out of the rate (and checked below).
			may := listNames(t, ctx, discoverySession(t, hub.MCPURL(), hub.OwnerKey, era))
			found, asked := 0, 0
			for _, q := range queries {
				callable := false
				for _, e := range q.Expect {
					callable = callable || may["laptop__"+strings.Replace(e, "/", "__", 1)]
				}
				if !callable {
					t.Logf("skipped: %q (%v is hidden from the owner by the policy)", q.Query, q.Expect)
					continue
				}
				asked++
				hits := search(t, ctx, cs, map[string]any{"query": q.Query, "limit": 3})
				ok := false
				for _, h := range hits {
					for _, e := range q.Expect {
						ok = ok || h == "laptop__"+strings.Replace(e, "/", "__", 1)
					}
				}
				if ok {
					found++
				} else {
					t.Logf("miss: %q → %v (want %v)", q.Query, hits, q.Expect)
				}
			}
			rate := float64(found) / float64(asked)
			t.Logf("top-3 rate among %d+ tools: %.1f %% of %d queries", genBackends*genPerBackend, rate*100, asked)
			if asked < 60 {
				t.Errorf("only %d labelled queries asked", asked)
			}
			if rate < 0.9 {
				t.Errorf("top-3 rate %.1f %%, want at least 90 %%", rate*100)
			}
		})

		t.Run("call through the surface as a direct call "+era, func(t *testing.T) {
			disco := discoverySession(t, discoURL, hub.OwnerKey, era)
			direct := discoverySession(t, hub.MCPURL(), hub.OwnerKey, era)
			res, err := disco.CallTool(ctx, &mcp.CallToolParams{Name: "call_tool", Arguments: map[string]any{
				"name": "laptop__everything__echo", "arguments": map[string]any{"message": "hello through the surface " + era}}})
			if err != nil || !strings.Contains(text(res.Content), "hello through the surface "+era) {
				t.Fatalf("call_tool echo: %v %v", err, res)
			}
			before := len(deniedEcho(t, hub))
			secret := map[string]any{"message": "my secret " + era}
			_, errDirect := direct.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__echo", Arguments: secret})
			_, errSurface := disco.CallTool(ctx, &mcp.CallToolParams{Name: "call_tool", Arguments: map[string]any{"name": "laptop__everything__echo", "arguments": secret}})
			d, s := refusalOf(t, errDirect), refusalOf(t, errSurface)
			if d.Code != -32010 || s.Code != d.Code || s.Message != d.Message || !strings.Contains(s.Message, "no-secret-echo") || string(s.Data) != string(d.Data) {
				t.Errorf("refusals differ or miss the rule:\n direct  %d %s %s\n surface %d %s %s", d.Code, d.Message, d.Data, s.Code, s.Message, s.Data)
			}
			// A tool the policy denies whole is not found by search, and call_tool is refused as a direct call.
			if hits := search(t, ctx, disco, map[string]any{"query": "environment variables", "limit": 50}); contains(hits, "laptop__everything__get-env") {
				t.Errorf("search shows the denied get-env: %v", hits)
			}
			_, errDirect = direct.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__everything__get-env"})
			_, errSurface = disco.CallTool(ctx, &mcp.CallToolParams{Name: "call_tool", Arguments: map[string]any{"name": "laptop__everything__get-env"}})
			if d, s := refusalOf(t, errDirect), refusalOf(t, errSurface); s.Code != d.Code || s.Message != d.Message || !strings.Contains(s.Message, "no-env") {
				t.Errorf("get-env refusals differ:\n direct  %d %s\n surface %d %s", d.Code, d.Message, s.Code, s.Message)
			}
			// The audit trail has both secret-echo refusals under the real tool's name and rule.
			waitFor(t, 30*time.Second, "both refusals in the audit trail", func() bool {
				return len(deniedEcho(t, hub)) >= before+2
			})
			for _, ev := range deniedEcho(t, hub) {
				if ev["rule"] != "no-secret-echo" || ev["decision"] != "deny" || ev["tool"] != "laptop__everything__echo" || ev["agent"] != "laptop" {
					t.Errorf("a refusal audited as %v", ev)
				}
			}
			var calls []map[string]any
			waitFor(t, 30*time.Second, "the call through the surface in the audit trail", func() bool {
				calls = nil
				restCall(t, hub, hub.OwnerKey, "GET", "/audit?kind=call&tool=laptop__everything__echo&limit=500", nil, &struct {
					Items *[]map[string]any `json:"items"`
				}{&calls})
				return len(calls) > 0
			})
			for _, ev := range calls {
				if ev["tool"] != "laptop__everything__echo" || ev["status"] != "ok" {
					t.Errorf("a call audited as %v", ev)
				}
			}
		})

		t.Run("viewer search "+era, func(t *testing.T) {
			full := discoverySession(t, hub.MCPURL(), newUserKey(t, hub, "vera-"+era, "viewer"), era)
			may := listNames(t, ctx, full)
			if len(may) == 0 || may["laptop__filesystem__write_file"] {
				t.Fatalf("the viewer's full list: %d tools, write_file %v", len(may), may["laptop__filesystem__write_file"])
			}
			// The viewer's discovery key is chosen by the key itself (PATCH /api-keys/{id}).
			key := newUserKey(t, hub, "victor-"+era, "viewer")
			setKeySurface(t, hub, key, "discovery")
			cs := discoverySession(t, hub.MCPURL(), key, era)
			if names := listNames(t, ctx, cs); len(names) != 3 {
				t.Fatalf("a key of surface discovery lists %v", names)
			}
			seen := 0
			texts := []string{"write a file", "delete entities", "create a directory", "environment", "toggle logging", "edit"}
			for _, q := range queries {
				texts = append(texts, q.Query)
			}
			for _, q := range texts {
				for _, h := range search(t, ctx, cs, map[string]any{"query": q, "limit": 50}) {
					seen++
					if !may[h] {
						t.Errorf("the viewer's search for %q shows %s, which it may not call", q, h)
					}
				}
			}
			if seen == 0 {
				t.Error("the viewer's searches found nothing")
			}
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "describe_tool", Arguments: map[string]any{"name": "laptop__filesystem__write_file"}})
			if err != nil || !res.IsError || !strings.Contains(text(res.Content), "unknown tool") {
				t.Errorf("describe_tool of a hidden tool: %v %v", err, res)
			}
			res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "describe_tool", Arguments: map[string]any{"name": "laptop__filesystem__read_text_file"}})
			if err != nil || res.IsError || !strings.Contains(text(res.Content), `"inputSchema"`) || !strings.Contains(text(res.Content), `"risk": "read"`) {
				t.Errorf("describe_tool of a read tool: %v %v", err, res)
			}
			_, errSurface := cs.CallTool(ctx, &mcp.CallToolParams{Name: "call_tool", Arguments: map[string]any{
				"name": "laptop__filesystem__write_file", "arguments": map[string]any{"path": "x", "content": "y"}}})
			_, errDirect := full.CallTool(ctx, &mcp.CallToolParams{Name: "laptop__filesystem__write_file", Arguments: map[string]any{"path": "x", "content": "y"}})
			if d, s := refusalOf(t, errDirect), refusalOf(t, errSurface); s.Code != d.Code || s.Message != d.Message {
				t.Errorf("viewer write_file refusals differ:\n direct  %d %s\n surface %d %s", d.Code, d.Message, s.Code, s.Message)
			}
		})
	}

	t.Run("typescript sdk", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, nodeBin(t), filepath.Join(repoRoot(t), "e2e", "ts", "discovery.mjs"), discoURL, hub.OwnerKey)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("discovery.mjs: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
		var r struct {
			Version *string
			Tools   []string
			Search  string
			Call    string
			Refused struct {
				Error string
				Code  int
			}
		}
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatalf("discovery.mjs output: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
		t.Logf("discovery.mjs: %s", stdout.String())
		if r.Version == nil || *r.Version >= "2026-07-28" {
			t.Errorf("the TypeScript client negotiated %v, want a session-based version", r.Version)
		}
		if len(r.Tools) != 3 {
			t.Errorf("tools: %v", r.Tools)
		}
		if hits := hitNames(r.Search); len(hits) == 0 || hits[0] != "laptop__filesystem__read_text_file" {
			t.Errorf("search: %q", r.Search)
		}
		if !strings.Contains(r.Call, "hi from typescript") {
			t.Errorf("call: %q", r.Call)
		}
		if r.Refused.Code != -32010 || !strings.Contains(r.Refused.Error, "no-secret-echo") {
			t.Errorf("refused: %+v", r.Refused)
		}
	})

	t.Run("surface by application", func(t *testing.T) {
		app := newAppKey(t, hub, "claude-desktop")
		if names := listNames(t, ctx, discoverySession(t, hub.MCPURL(), app, "2025-11-25")); len(names) != 3 {
			t.Errorf("a claude-desktop key lists %d tools, want the discovery surface's 3", len(names))
		}
		// The URL's choice comes first.
		if names := listNames(t, ctx, discoverySession(t, hub.MCPURL()+"?surface=full", app, "2026-07-28")); len(names) < genBackends*genPerBackend {
			t.Errorf("?surface=full lists %d tools", len(names))
		}
		if names := listNames(t, ctx, discoverySession(t, hub.MCPURL(), newAppKey(t, hub, "cursor"), "2026-07-28")); len(names) < genBackends*genPerBackend {
			t.Errorf("a cursor key lists %d tools, want the full surface", len(names))
		}
	})

	t.Run("bad surface", func(t *testing.T) {
		status, body := rawMCP(t, hub.MCPURL()+"?surface=everything", hub.OwnerKey, "tools/list", "", nil)
		if status != http.StatusBadRequest || !strings.Contains(string(body), "surface") {
			t.Errorf("?surface=everything: %d %s", status, body)
		}
	})

	t.Run("bytes", func(t *testing.T) {
		var full, pages int
		cursor := ""
		for {
			params := map[string]any{}
			if cursor != "" {
				params["cursor"] = cursor
			}
			status, body := rawMCP(t, hub.MCPURL(), hub.OwnerKey, "tools/list", "", params)
			if status != http.StatusOK {
				t.Fatalf("tools/list: %d %s", status, body)
			}
			full += len(body)
			pages++
			var r struct {
				Result struct{ NextCursor string } `json:"result"`
			}
			_ = json.Unmarshal(body, &r)
			if cursor = r.Result.NextCursor; cursor == "" {
				break
			}
		}
		_, list := rawMCP(t, discoURL, hub.OwnerKey, "tools/list", "", nil)
		var total, most int
		for _, q := range queries {
			status, body := rawMCP(t, discoURL, hub.OwnerKey, "tools/call", "search_tools", map[string]any{"name": "search_tools", "arguments": map[string]any{"query": q.Query}})
			if status != http.StatusOK {
				t.Fatalf("search_tools: %d %s", status, body)
			}
			total += len(body)
			most = max(most, len(body))
		}
		avg := total / len(queries)
		t.Logf("tools/list, full surface: %d bytes in %d pages (%d tools); discovery surface: tools/list %d bytes, search_tools answer %d bytes on average, %d at most (%d queries)",
			full, pages, len(hub.Server.Router.Table().Tools()), len(list), avg, most, len(queries))
		if len(list)+avg*3 >= full/100 {
			t.Errorf("the discovery surface's list and three searches (%d bytes) are not a hundredth of the full list (%d)", len(list)+avg*3, full)
		}
	})
}

// deniedEcho is the audit trail's refusals of laptop__everything__echo.
func deniedEcho(t *testing.T, hub *hubtest.Hub) []map[string]any {
	t.Helper()
	var events []map[string]any
	restCall(t, hub, hub.OwnerKey, "GET", "/audit?kind=denied&tool=laptop__everything__echo&limit=1000", nil, &struct {
		Items *[]map[string]any `json:"items"`
	}{&events})
	return events
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// newAppKey creates a key of the owner for an application.
func newAppKey(t *testing.T, hub *hubtest.Hub, app string) string {
	t.Helper()
	var k struct{ Key string }
	if st := restCall(t, hub, hub.OwnerKey, "POST", "/api-keys", map[string]string{"name": app, "application": app}, &k); st != http.StatusCreated {
		t.Fatalf("create a key for %s: %d", app, st)
	}
	return k.Key
}

// setKeySurface sets the surface of the key whose plaintext is key (found by its prefix).
func setKeySurface(t *testing.T, hub *hubtest.Hub, key, surface string) {
	t.Helper()
	var keys struct {
		Items []struct{ ID, Prefix string }
	}
	restCall(t, hub, hub.OwnerKey, "GET", "/api-keys?user=*", nil, &keys)
	for _, k := range keys.Items {
		if strings.HasPrefix(key, k.Prefix) {
			var out struct{ Surface string }
			if st := restCall(t, hub, hub.OwnerKey, "PATCH", "/api-keys/"+k.ID, map[string]string{"surface": surface}, &out); st != http.StatusOK || out.Surface != surface {
				t.Fatalf("PATCH the key's surface: %d %+v", st, out)
			}
			return
		}
	}
	t.Fatal("the key is not listed")
}

// rawMCP sends one stateless (2026-07-28) request and returns the status and the body of
// the reply (its one message, for an SSE reply).
func rawMCP(t *testing.T, url, key, method, name string, params map[string]any) (int, []byte) {
	t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	params["_meta"] = map[string]any{"io.modelcontextprotocol/protocolVersion": "2026-07-28",
		"io.modelcontextprotocol/clientCapabilities": map[string]any{}, "io.modelcontextprotocol/clientInfo": map[string]any{"name": "raw", "version": "1"}}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", method)
	if name != "" {
		req.Header.Set("Mcp-Name", name)
	}
	resp, err := authClient(key).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if i := bytes.Index(raw, []byte("data: ")); i >= 0 {
		raw = bytes.TrimSpace(raw[i+len("data: "):])
	}
	return resp.StatusCode, raw
}
