package mcpgateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

// The deployment files under docs/deploy (docs/DEPLOY.md) are checked here, offline: every
// YAML file parses; the compose file, the Kubernetes manifests and the Dockerfile say what
// a hub cluster needs (probes, drain time, non-root, shared secrets, a data dir per hub);
// hub.toml files load with the hub's own config loader; HAProxy checks its configuration
// itself (haproxy -c, from Debian: e2e/setup.sh installs it). No container is built or
// run: no registry is reachable from CI.

const deployDir = "docs/deploy"

// shutdownAfterDrain is what Server.Run allows the HTTP shutdown after the drain.
const shutdownAfterDrain = 10 * time.Second

// loadHubTOML loads a hub.toml with the hub's loader and validates it.
func loadHubTOML(t *testing.T, path string) config.Config {
	t.Helper()
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			out = append(out, doc)
		}
	}
}

// dig walks nested maps (string keys) and lists (int keys); nil when a step is missing.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
