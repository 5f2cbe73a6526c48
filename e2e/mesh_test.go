package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// mesh is a hub with a hub-local server-everything over streamable HTTP, and an agent
// process "laptop" serving server-everything and server-filesystem over stdio.
type mesh struct {
	hub       *hubtest.Hub
	agentBin  string
	agentConf string
	agent     *process
	fsDir     string
}

func startMesh(t *testing.T) *mesh {
	t.Helper()
	everything := npmBin(t, "mcp-server-everything")
	filesystem := npmBin(t, "mcp-server-filesystem")
	port := startOnFreePort(t, everything, func(port int) ([]string, []string) {
		return []string{fmt.Sprintf("PORT=%d", port)}, []string{"streamableHttp"}
	}, func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/mcp", port) })

	hub := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "everything", Transport: "http", URL: fmt.Sprintf("http://127.0.0.1:%d/mcp", port)}}
	})
	m := &mesh{hub: hub, agentBin: buildBinary(t, "agent/cmd/mcp-gateway-agent"), fsDir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(m.fsDir, "hello.txt"), []byte("hello through the mesh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	key := hub.EnrollAgent(t, "laptop")
	m.agentConf = filepath.Join(t.TempDir(), "config.toml")
	conf := fmt.Sprintf(`[agent]
agent_id = "laptop"
gateway_url = %q
api_key = %q

[[backends]]
name = "everything"
transport = "stdio"
command = %q

[[backends]]
name = "fs"
transport = "stdio"
command = %q
args = [%q]
`, hub.AgentURL(), key, everything, filesystem, m.fsDir)
	if err := os.WriteFile(m.agentConf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	m.startAgent(t)
	m.waitTools(t, "laptop__everything__echo", "laptop__fs__read_text_file", "everything__echo")
	return m
}

// writeAgentConfig writes an agent config "laptop" with one stdio backend "everything".
func writeAgentConfig(t *testing.T, url, key, everything string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	conf := fmt.Sprintf("[agent]\nagent_id = \"laptop\"\ngateway_url = %q\napi_key = %q\n\n[[backends]]\nname = \"everything\"\ntransport = \"stdio\"\ncommand = %q\n", url, key, everything)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (m *mesh) startAgent(t *testing.T) {
	m.agent = start(t, nil, m.agentBin, "run", "--headless", "--config", m.agentConf)
}

// waitTools waits until the hub lists every named tool (as the owner sees them).
func (m *mesh) waitTools(t *testing.T, names ...string) {
	t.Helper()
	waitFor(t, 60*time.Second, "tools "+strings.Join(names, ", "), func() bool {
		have := map[string]bool{}
		for _, tl := range m.hub.Server.Router.Table().Tools() {
			for _, n := range names {
				if strings.Contains(string(tl), `"name":"`+n+`"`) {
					have[n] = true
				}
			}
		}
		return len(have) == len(names)
	})
}

// bearer adds the API key to every request.
type bearer struct {
	key  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.base.RoundTrip(r)
}

func authClient(key string) *http.Client {
	return &http.Client{Transport: bearer{key, http.DefaultTransport}}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
