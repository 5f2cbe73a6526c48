package setup

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

func script(lines ...string) *strings.Reader {
	return strings.NewReader(strings.Join(lines, "\n") + "\n")
}

// The wizard, driven line by line against a real hub: a refused key is reported and
// re-asked, then backends are added, edited and removed, and the config is written.
func TestWizardRealHub(t *testing.T) {
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "laptop")
	path := filepath.Join(t.TempDir(), "config.toml")
	var out bytes.Buffer
	w := Wizard{OfferNext: true, ConfigPath: path, Out: &out, In: script(
		h.URL, "mcpgw_wrong", "laptop", // refused
		"e", "", key, "", // edit: keep URL and id, new key; accepted
		"a", "github", "", "npx -y @modelcontextprotocol/server-github", "GITHUB_TOKEN=ghp_secret",
		"a", "docs", "http", "not-a-url", "", // invalid url: asked again
		"", "", "http://127.0.0.1:9/mcp", "Authorization='Bearer x'",
		"a", "github", "legacy", "sse", "https://x.example.com/sse", "", // duplicate name: asked again
		"e 1", "", "", "npx -y @modelcontextprotocol/server-github@2", "",
		"r 2", "x 9", "",
		"r",
	)}
	res, err := w.Run(testCtx(t))
	if err != nil {
		t.Fatalf("wizard: %v\n%s", err, out.String())
	}
	for _, want := range []string{"REFUSED: unknown, expired or revoked agent key", `accepted agent "laptop"`,
		`must start with http:// or https://`, `the name "github" is already used by backend 1`, "Removed docs",
		"Type a, e N or r N", "Wrote " + path} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("wizard output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "ghp_secret") || strings.Contains(out.String(), key) {
		t.Errorf("the wizard echoed a secret:\n%s", out.String())
	}
	if !res.Written || !res.Checked || res.Next != NextRun {
		t.Errorf("result %+v", res)
	}
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false }, config.Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Agent.APIKey != key || cfg.Agent.GatewayURL != h.AgentURL() || cfg.Agent.AgentID != "laptop" {
		t.Errorf("[agent] %+v", cfg.Agent)
	}
	if len(cfg.Backends) != 2 {
		t.Fatalf("backends %+v", cfg.Backends)
	}
	gh, legacy := cfg.Backends[0], cfg.Backends[1]
	if gh.Name != "github" || !slices.Equal(gh.Args, []string{"-y", "@modelcontextprotocol/server-github@2"}) || gh.Env["GITHUB_TOKEN"] != "ghp_secret" {
		t.Errorf("github backend %+v (edit must keep env)", gh)
	}
	if legacy.Name != "legacy" || legacy.Transport != "sse" || legacy.URL != "https://x.example.com/sse" {
		t.Errorf("legacy backend %+v", legacy)
	}
}

// An unreachable hub is reported as unreachable; quitting then writes nothing, and so does
// input that ends early.
func TestWizardUnreachableAndQuit(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	path := filepath.Join(t.TempDir(), "config.toml")
	var out bytes.Buffer
	_, err := Wizard{ConfigPath: path, Out: &out, In: script(dead, "mcpgw_k", "box", "r", "q")}.Run(testCtx(t))
	if !errors.Is(err, ErrCancelled) {
		t.Errorf("quit: %v", err)
	}
	if n := strings.Count(out.String(), "UNREACHABLE: the hub is unreachable"); n != 2 {
		t.Errorf("want 2 UNREACHABLE reports (first try and retry), got %d:\n%s", n, out.String())
	}
	early := Wizard{ConfigPath: path, Out: &out, In: script(dead, "mcpgw_k")}
	if _, err := early.Run(testCtx(t)); !errors.Is(err, ErrInputEnded) {
		t.Errorf("early end of input: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("a cancelled wizard wrote the config")
	}
	// Saving without a successful check is possible, and said.
	out.Reset()
	res, err := Wizard{ConfigPath: path, Out: &out, In: script(dead, "mcpgw_k", "box", "s", "")}.Run(testCtx(t))
	if err != nil || !res.Written || res.Checked {
		t.Fatalf("save unchecked: %+v, %v\n%s", res, err, out.String())
	}
}

// Bad answers are explained and asked again, never accepted.
func TestWizardRejectsBadAnswers(t *testing.T) {
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "ok-id")
	path := filepath.Join(t.TempDir(), "config.toml")
	var out bytes.Buffer
	_, err := Wizard{ConfigPath: path, Out: &out, In: script(
		"ftp://x", h.URL, "has space", key, "bad id!", "a__b", "ok-id",
		"a", "", "bad name!", "ls", "x", "", "'unclosed", "", "ls", "NOEQUALS", "A=1", "",
	)}.Run(testCtx(t))
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"must start with https://", "The key is required and has no spaces",
		"may contain only letters", `contains "__"`, "name is required", "name must be 1-32 characters",
		"Please answer stdio, http or sse", "unclosed '", "A command is required.", "want NAME=VALUE"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// Enter at the hub prompt keeps a custom tunnel path: the dashboard URL is offered only when
// it leads to the same gateway_url.
func TestWizardKeepsCustomGatewayURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(path, []byte("[agent]\nagent_id = \"a\"\ngateway_url = \"wss://h.example.com/custom/tunnel\"\n"+
		"api_key = \"mcpgw_k\"\ndashboard_url = \"https://h.example.com\"\n"), 0o600)
	var out bytes.Buffer
	var checked string
	check := func(_ context.Context, a config.Agent) (protocol.Welcome, error) {
		checked = a.GatewayURL
		return protocol.Welcome{AgentID: a.AgentID}, nil
	}
	if _, err := (Wizard{ConfigPath: path, Out: &out, In: script("", "", "", ""), Check: check}).Run(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if checked != "wss://h.example.com/custom/tunnel" || !strings.Contains(out.String(), "[wss://h.example.com/custom/tunnel]") {
		t.Errorf("checked %q\n%s", checked, out.String())
	}
}

// The wizard, given a key bound to another id than the one typed, offers the key's own id
// (which the hub names to the key's holder); accepting it passes the check and writes it.
func TestWizardOffersTheBoundAgentID(t *testing.T) {
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "bound-box")
	path := filepath.Join(t.TempDir(), "config.toml")
	var out bytes.Buffer
	w := Wizard{ConfigPath: path, Out: &out, In: script(
		h.URL, key, "typed-box", // refused: bound to bound-box
		"", // yes: use bound-box
		"", // no backends
	)}
	res, err := w.Run(testCtx(t))
	if err != nil {
		t.Fatalf("wizard: %v\n%s", err, out.String())
	}
	for _, want := range []string{`bound to agent "bound-box"`, `Use that id?`, `accepted agent "bound-box"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("wizard output lacks %q:\n%s", want, out.String())
		}
	}
	if cfg, err := config.ReadFile(path); err != nil || !res.Checked || cfg.Agent.AgentID != "bound-box" {
		t.Errorf("written: %+v %v, checked %v", cfg, err, res.Checked)
	}
}
