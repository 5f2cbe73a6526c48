package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

// `keys create` against the store: the default scope is mcp, --scope sets it, an unknown
// scope is a usage error naming it, and `keys list` shows each key's scope.
func TestKeysCreateScopeOffline(t *testing.T) {
	dir := t.TempDir()
	if out, err := run(t, "init", "--data-dir", dir); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := run(t, "keys", "create", "--name", "claude", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "scope mcp") || !keyRE.MatchString(out) {
		t.Fatalf("keys create (default scope): %v\n%s", err, out)
	}
	out, err = run(t, "keys", "create", "--name", "ops", "--scope", "admin", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "scope admin") {
		t.Fatalf("keys create --scope admin: %v\n%s", err, out)
	}
	out, err = run(t, "keys", "create", "--name", "x", "--scope", "root", "--data-dir", dir)
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), `"root"`) {
		t.Fatalf("keys create --scope root: %v\n%s; want a usage error naming the scope", err, out)
	}
	out, err = run(t, "keys", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, scope := range map[string]string{"claude": "mcp", "ops": "admin", "owner key (init)": "all"} {
		line := ""
		for l := range strings.Lines(out) {
			if strings.Contains(l, name) {
				line = l
			}
		}
		if !strings.Contains(line, " "+scope+" ") {
			t.Errorf("keys list: %q has no scope %s:\n%s", name, scope, out)
		}
	}
}

// `keys create --scope` against a running hub, and what each key may then do: the mcp key
// (the README's key for an AI client) calls tools and is refused by the admin commands;
// the admin key runs them and is refused at /mcp.
func TestKeysCreateScopeRemote(t *testing.T) {
	h := hubtest.Start(t, nil)
	out := mustCLI(t, h, "shown once", "keys", "create", "--name", "claude", "--scope", "mcp")
	mcpKey := keyRE.FindString(out)
	out = mustCLI(t, h, "shown once", "keys", "create", "--name", "ops", "--scope", "admin")
	adminKey := keyRE.FindString(out)
	out = mustCLI(t, h, "shown once", "keys", "create", "--name", "default")
	defaultKey := keyRE.FindString(out)
	if mcpKey == "" || adminKey == "" || defaultKey == "" {
		t.Fatalf("keys not shown: %q %q %q", mcpKey, adminKey, defaultKey)
	}
	out = mustCLI(t, h, "claude", "keys", "list")
	for _, want := range []string{"mcp", "admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("keys list shows no scope %s:\n%s", want, out)
		}
	}
	if out, err := hubCLI(t, h, "", "keys", "create", "--name", "x", "--scope", "root"); err == nil || !strings.Contains(out+err.Error(), `"root"`) {
		t.Errorf("keys create --scope root: %v\n%s; want a refusal naming the scope", err, out)
	}

	// --role: a role the owner's covers is kept and listed; an unknown one is refused.
	mustCLI(t, h, "shown once", "keys", "create", "--name", "read-only", "--role", "viewer")
	if out := mustCLI(t, h, "read-only", "keys", "list"); !strings.Contains(out, "viewer") {
		t.Errorf("keys list shows no role viewer:\n%s", out)
	}
	if out, err := hubCLI(t, h, "", "keys", "create", "--name", "x", "--role", "ghost"); err == nil || !strings.Contains(out+err.Error(), "ghost") {
		t.Errorf("keys create --role ghost: %v\n%s; want a refusal naming the role", err, out)
	}

	asKey := func(key string, args ...string) (string, error) {
		var o, e bytes.Buffer
		err := Run(context.Background(), append(args, "--hub", h.URL, "--key", key),
			Env{Stdout: &o, Stderr: &e, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		return o.String() + e.String(), err
	}
	if out, err := asKey(adminKey, "keys", "list"); err != nil {
		t.Errorf("admin key: keys list: %v\n%s", err, out)
	}
	for _, k := range []string{mcpKey, defaultKey} {
		if out, err := asKey(k, "keys", "list"); err == nil || !strings.Contains(out+err.Error(), `scope \"mcp\"`) && !strings.Contains(out+err.Error(), `scope "mcp"`) {
			t.Errorf("mcp key: keys list: %v\n%s; want a refusal naming the scope", err, out)
		}
	}

	connect := func(key string) error {
		cl := mcp.NewClient(&mcp.Implementation{Name: "cli-test", Version: "1"}, nil)
		s, err := cl.Connect(t.Context(), &mcp.StreamableClientTransport{Endpoint: h.MCPURL(),
			HTTPClient: &http.Client{Transport: bearerRT(key)}}, nil)
		if err == nil {
			s.Close()
		}
		return err
	}
	if err := connect(mcpKey); err != nil {
		t.Errorf("mcp key on /mcp: %v", err)
	}
	if err := connect(adminKey); err == nil {
		t.Error("admin key connected to /mcp")
	}
}

type bearerRT string

func (b bearerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}
