package setup

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// The non-interactive setup against a real hub: a good key writes a 0600 config with the
// right fields; a refused key and an unreachable hub are reported as such and write nothing.
func TestApplyRealHub(t *testing.T) {
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "laptop")
	path := filepath.Join(t.TempDir(), "agent", "config.toml")

	res, err := Apply(testCtx(t), Options{Hub: h.URL, Key: key, AgentID: "laptop", ConfigPath: path})
	if err != nil {
		t.Fatalf("good key: %v", err)
	}
	if res.Welcome.AgentID != "laptop" {
		t.Errorf("welcome %+v", res.Welcome)
	}
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false }, config.Flags{})
	if err != nil {
		t.Fatal(err)
	}
	want := config.Defaults().Agent
	want.AgentID, want.GatewayURL, want.APIKey, want.DashboardURL = "laptop", h.AgentURL(), key, h.URL
	if cfg.Agent != want {
		t.Errorf("written [agent] = %+v\nwant %+v", cfg.Agent, want)
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", st.Mode().Perm())
	}
	before, _ := os.ReadFile(path)

	_, err = Apply(testCtx(t), Options{Hub: h.AgentURL(), Key: "mcpgw_not_a_key", ConfigPath: path})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "revoked agent key") {
		t.Errorf("refused key: %v; want an error saying refused, with the hub's reason", err)
	}
	_, err = Apply(testCtx(t), Options{Hub: h.URL, Key: key, AgentID: "desktop", ConfigPath: path})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), `bound to agent "laptop"`) {
		t.Errorf("key of another agent id: %v; want refused naming the bound agent", err)
	}

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()
	_, err = Apply(testCtx(t), Options{Hub: dead, Key: key, ConfigPath: path})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "unreachable") || errors.Is(err, ErrRefused) {
		t.Errorf("unreachable hub: %v; want an error saying unreachable", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a failed setup changed the config:\n%s", after)
	}
}

// Setup keeps what it is not told to change: backends, and unknown keys.
func TestApplyKeepsTheRest(t *testing.T) {
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "box")
	path := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(path, []byte(`[agent]
agent_id = "box"
gateway_url = "ws://old.example.com/agent/ws"
api_key = "mcpgw_old"
auto_update = false
telemetry = false

[[backends]]
name = "fs"
transport = "stdio"
command = "mcp-server-filesystem"
args = ["/tmp"]
`), 0o644)
	if _, err := Apply(testCtx(t), Options{Hub: h.URL, Key: key, ConfigPath: path}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Agent.AgentID != "box" || cfg.Agent.APIKey != key || len(cfg.Backends) != 1 || cfg.Backends[0].Name != "fs" {
		t.Errorf("config after setup: %+v", cfg)
	}
	if len(cfg.Unknown) != 1 || cfg.Unknown[0] != "agent.telemetry" || cfg.Agent.AutoUpdate {
		t.Errorf("after setup: unknown keys %v, auto_update %v; want agent.telemetry and auto_update = false kept", cfg.Unknown, cfg.Agent.AutoUpdate)
	}
}

func TestApplyNeedsHubAndKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	_, err := Apply(testCtx(t), Options{ConfigPath: path})
	if err == nil || !strings.Contains(err.Error(), "--hub") || !strings.Contains(err.Error(), "--key") {
		t.Errorf("empty options: %v", err)
	}
	_, err = Apply(testCtx(t), Options{ConfigPath: path, Hub: "https://h.example.com", Key: "mcpgw_x", AgentID: "a b"})
	if err == nil || !strings.Contains(err.Error(), "agent_id") {
		t.Errorf("bad agent id: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused setup wrote %s", path)
	}
	// SkipCheck writes without a hub.
	if _, err := Apply(testCtx(t), Options{ConfigPath: path, Hub: "https://h.example.com", Key: "mcpgw_x", SkipCheck: true}); err != nil {
		t.Fatal(err)
	}
}

func TestAgentIDFrom(t *testing.T) {
	for in, want := range map[string]string{
		"Johns-MacBook.local": "Johns-MacBook", "build box": "build-box", "a__b": "a_b", "": "agent",
		strings.Repeat("x", 80): strings.Repeat("x", 64), "héllo": "h-llo",
	} {
		got := agentIDFrom(in)
		if got != want {
			t.Errorf("agentIDFrom(%q) = %q, want %q", in, got, want)
		}
		if err := config.CheckAgentID(got); err != nil {
			t.Errorf("agentIDFrom(%q) = %q is not valid: %v", in, got, err)
		}
	}
}

// Setup without --agent-id, on a machine with no config, takes the id the key is bound to
// (the README's `setup --hub … --key …`): the hub names it in its refusal of the host name.
// An id that was given, or is in the config already, is never swapped for it.
func TestApplyTakesTheBoundAgentID(t *testing.T) {
	h := hubtest.Start(t, nil)
	bound := "bound-" + DefaultAgentID() // never this machine's host name
	key := h.EnrollAgent(t, bound)
	path := filepath.Join(t.TempDir(), "config.toml")

	res, err := Apply(testCtx(t), Options{Hub: h.URL, Key: key, ConfigPath: path})
	if err != nil {
		t.Fatalf("setup without an agent id: %v", err)
	}
	if res.Welcome.AgentID != bound || res.Config.Agent.AgentID != bound {
		t.Errorf("welcome %+v, config id %q; want %q", res.Welcome, res.Config.Agent.AgentID, bound)
	}
	if cfg, err := config.ReadFile(path); err != nil || cfg.Agent.AgentID != bound {
		t.Errorf("written config: %+v, %v; want agent_id %q", cfg, err, bound)
	}

	// Given explicitly: refused, the file keeps the bound id.
	if _, err := Apply(testCtx(t), Options{Hub: h.URL, Key: key, AgentID: "desktop", ConfigPath: path}); !errors.Is(err, ErrRefused) {
		t.Errorf("an explicit other id: %v; want refused", err)
	}
	// Already configured: refused too, not silently renamed.
	other := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(other, []byte("[agent]\nagent_id = \"desktop\"\n"), 0o600)
	if _, err := Apply(testCtx(t), Options{Hub: h.URL, Key: key, ConfigPath: other}); !errors.Is(err, ErrRefused) {
		t.Errorf("a configured other id: %v; want refused", err)
	}
}
