package setup

import (
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// TestDescribeHidesSecrets: `backends list`, `backends add` and the wizard print Describe;
// it names variables and headers without their values, and shows a URL without its password
// or query values (services put API keys there: ?api_key=…).
func TestDescribeHidesSecrets(t *testing.T) {
	b := backend.Config{Name: "remote", Transport: backend.TransportHTTP,
		URL:     "https://user:hunter2@mcp.example.com/v1/mcp?api_key=sekrit1&region=eu",
		Headers: map[string]string{"Authorization": "Bearer sekrit2"}}
	got := Describe(b)
	for _, secret := range []string{"hunter2", "sekrit1", "sekrit2", "eu"} {
		if strings.Contains(got, secret) {
			t.Errorf("Describe shows %q: %s", secret, got)
		}
	}
	for _, want := range []string{"https://user:", "@mcp.example.com/v1/mcp?", "api_key=", "region=", "headers: Authorization"} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe lacks %q: %s", want, got)
		}
	}
	plain := backend.Config{Name: "p", Transport: backend.TransportSSE, URL: "http://127.0.0.1:9000/sse"}
	if got := Describe(plain); got != plain.URL {
		t.Errorf("a URL without secrets changed: %q", got)
	}
	stdio := backend.Config{Name: "s", Transport: backend.TransportStdio, Command: "npx", Args: []string{"-y", "server"},
		Env: map[string]string{"TOKEN": "sekrit3"}}
	if got := Describe(stdio); got != "npx -y server  env: TOKEN" {
		t.Errorf("stdio: %q", got)
	}
}
