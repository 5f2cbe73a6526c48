package api_test

import (
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// Regression: a backend's configuration as the API shows it hid env and headers but not the
// password in its URL, a key in its query or a token among its arguments; anyone with
// backends.read read them. They are redacted now; the rest of the configuration is shown
// as it is (tested both ways).
func TestBackendConfigHidesSecrets(t *testing.T) {
	h := hubtest.Start(t, nil)
	owner := newClient(t, h, h.OwnerKey)
	owner.must(201, "POST", "/roles", api.RoleRequest{Name: "watcher", Permissions: []string{"backends.read"}}, nil)
	_, watcher := userWithKey(t, h, "wendy", "watcher")
	owner.must(201, "POST", "/backends/remote", map[string]any{"transport": "http",
		"url": "http://bob:s3cretpass@127.0.0.1:1/mcp?api_key=k3y-abcdef123&team=blue"}, nil)
	owner.must(201, "POST", "/backends/local", map[string]any{"transport": "stdio", "command": "/bin/false",
		"args": []string{"--verbose", "--token=t0ken-abcdef", "--password", "hunter2hunter2", "serve", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"}}, nil)
	r := watcher.must(200, "GET", "/backends", nil, nil)
	for _, secret := range []string{"s3cretpass", "k3y-abcdef123", "t0ken-abcdef", "hunter2hunter2", "ghp_abcdefghij"} {
		if strings.Contains(r.String(), secret) {
			t.Errorf("GET /backends shows %q: %s", secret, r)
		}
	}
	for _, kept := range []string{"127.0.0.1:1/mcp", "team=blue", "--verbose", "serve", "/bin/false"} {
		if !strings.Contains(r.String(), kept) {
			t.Errorf("GET /backends lost %q: %s", kept, r)
		}
	}
}
