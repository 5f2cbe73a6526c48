package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/agent/update"
	hubconfig "github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// The test binary is a development build: update --check reports what the hub offers and
// says that it does not update itself; update refuses before touching the binary. (The e2e
// test runs real release builds.)
func TestUpdateCommand(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(nil)
	if err := release.WriteRelease(dir, "v1.0.0", priv, map[string][]byte{runtime.GOOS + "/" + runtime.GOARCH: []byte("bin")}); err != nil {
		t.Fatal(err)
	}
	withReleases := hubtest.Start(t, func(c *hubconfig.Config) { c.Releases.Dir = dir })
	without := hubtest.Start(t, nil)
	t.Setenv("MCPGW_AGENT_HOME", t.TempDir())
	conf := func(hubURL string) string {
		p := filepath.Join(t.TempDir(), "config.toml")
		os.WriteFile(p, fmt.Appendf(nil, "[agent]\nagent_id = \"a\"\ngateway_url = \"ws%s/agent/ws\"\napi_key = \"k\"\nrelease_public_key = %q\n",
			strings.TrimPrefix(hubURL, "http"), mustPub(t, priv)), 0o600)
		return p
	}
	ctx := context.Background()
	out, _, err := run(ctx, "update", "--check", "--config", conf(withReleases.URL))
	if err != nil || !strings.Contains(out, "the hub offers v1.0.0; this development build (dev) does not update itself") {
		t.Fatalf("update --check: %v %q", err, out)
	}
	_, _, err = run(ctx, "update", "--config", conf(withReleases.URL))
	if !errors.Is(err, update.ErrDevBuild) {
		t.Fatalf("update of a dev build: %v", err)
	}
	_, _, err = run(ctx, "update", "--check", "--config", conf(without.URL))
	if !errors.Is(err, update.ErrNoReleases) || !strings.Contains(err.Error(), "serves no agent releases") {
		t.Fatalf("hub without releases: %v", err)
	}
	if _, _, err := run(ctx, "update", "extra"); !errors.Is(err, ErrUsage) {
		t.Fatalf("extra argument: %v", err)
	}
}

func mustPub(t *testing.T, priv ed25519.PrivateKey) string {
	t.Helper()
	return base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))
}

// A hub whose release directory spells the running version without its "v" (1.0.0 for
// v1.0.0) offers this very version: `update` says it is up to date and succeeds, as
// `update --check` does, instead of failing with "already running this version".
func TestUpdateSameVersionOtherSpelling(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(nil)
	if err := release.WriteRelease(dir, "1.0.0", priv, map[string][]byte{runtime.GOOS + "/" + runtime.GOARCH: []byte("bin")}); err != nil {
		t.Fatal(err)
	}
	h := hubtest.Start(t, func(c *hubconfig.Config) { c.Releases.Dir = dir })
	t.Setenv("MCPGW_AGENT_HOME", t.TempDir())
	saved := version.Version
	version.Version = "v1.0.0"
	t.Cleanup(func() { version.Version = saved })
	p := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(p, fmt.Appendf(nil, "[agent]\nagent_id = \"a\"\ngateway_url = \"ws%s/agent/ws\"\napi_key = \"k\"\nrelease_public_key = %q\n",
		strings.TrimPrefix(h.URL, "http"), mustPub(t, priv)), 0o600)
	for _, args := range [][]string{{"update", "--check", "--config", p}, {"update", "--config", p}} {
		out, _, err := run(context.Background(), args...)
		if err != nil || !strings.Contains(out, "up to date: running v1.0.0, the hub offers 1.0.0") {
			t.Errorf("%v: %v %q", args, err, out)
		}
	}
}
