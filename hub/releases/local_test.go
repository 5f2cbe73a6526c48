package releases_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/releases"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

func TestBuildVersion(t *testing.T) {
	now := time.Date(2026, 12, 6, 22, 1, 5, 0, time.FixedZone("x", 3600))
	for cur, want := range map[string]string{
		"v1.4.0": "v1.4.0",
		"v0.0.0-20261206215521-1525eab8f3c1+dirty": "v0.0.0-20261206215521-1525eab8f3c1+dirty",
		"dev":         "v0.0.0-dev.20261206210105",
		"(devel)":     "v0.0.0-dev.20261206210105",
		"v1.2.3/../x": "v0.0.0-dev.20261206210105",
	} {
		if got := releases.BuildVersion(cur, now); got != want {
			t.Errorf("BuildVersion(%q) = %q, want %q", cur, got, want)
		}
	}
	a, _ := release.ParseVersion(releases.BuildVersion("dev", now))
	b, _ := release.ParseVersion(releases.BuildVersion("dev", now.Add(time.Second)))
	if b.Compare(a) <= 0 {
		t.Error("a later dev build does not order after an earlier one")
	}
}

func TestCheckSource(t *testing.T) {
	if err := releases.CheckSource("../.."); err != nil {
		t.Errorf("the repository itself: %v", err)
	}
	other := t.TempDir()
	if err := releases.CheckSource(other); err == nil || !strings.Contains(err.Error(), "--source") {
		t.Errorf("a directory without go.mod: %v", err)
	}
	os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/x\n"), 0o644)
	if err := releases.CheckSource(other); err == nil || !strings.Contains(err.Error(), "example.com/x") {
		t.Errorf("another module: %v", err)
	}
}

// The build refuses what it cannot build before compiling anything, and makes no key then.
func TestBuildRefusesBadInput(t *testing.T) {
	p := releases.LocalPaths{DataDir: t.TempDir()}
	for name, o := range map[string]releases.BuildOptions{
		"target":  {Source: "../..", Version: "v1.0.0", Targets: []string{"plan9/386"}, Paths: p},
		"version": {Source: "../..", Version: "latest", Targets: []string{"linux/amd64"}, Paths: p},
		"source":  {Source: t.TempDir(), Version: "v1.0.0", Paths: p},
		"go":      {Source: "../..", Version: "v1.0.0", Targets: []string{"linux/amd64"}, Paths: p, Go: "no-such-go-command"},
	} {
		if _, err := releases.Build(t.Context(), o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := os.Stat(p.PrivateKey()); err == nil {
		t.Error("a refused build made a signing key")
	}
}

func TestSigningKeyMadeOnceAndKept(t *testing.T) {
	p := releases.LocalPaths{DataDir: t.TempDir()}
	if k, err := p.ReadPublicKey(); err != nil || k != "" {
		t.Fatalf("before any key: %q %v", k, err)
	}
	key, pub, made, err := p.SigningKey()
	if err != nil || !made {
		t.Fatalf("first: made=%v %v", made, err)
	}
	info, err := os.Stat(p.PrivateKey())
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode: %v %v", info, err)
	}
	key2, pub2, made2, err := p.SigningKey()
	if err != nil || made2 || pub2 != pub || !key.Equal(key2) {
		t.Fatalf("second: made=%v same=%v %v", made2, pub2 == pub, err)
	}
	if k, _ := p.ReadPublicKey(); k != pub {
		t.Errorf("ReadPublicKey = %q, want %q", k, pub)
	}
	os.Chmod(p.PrivateKey(), 0o644)
	if _, _, _, err := p.SigningKey(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key readable by others: %v", err)
	}
}

// A hub's own releases: none yet is a 404 naming `releases build`; then the newest of any kind
// (builds from source carry pre-release versions) is offered, and the files are served.
func TestLocalReleases(t *testing.T) {
	p := releases.LocalPaths{DataDir: t.TempDir()}
	srv := httptest.NewServer(releases.NewLocal(p, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	if a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64"); a.code != http.StatusNotFound || !strings.Contains(a.body, "releases build") {
		t.Fatalf("no build yet: %d %s", a.code, a.body)
	}
	key, _, _, err := p.SigningKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v0.0.0-dev.20261206210105", "v0.0.0-dev.20261206220000"} {
		if err := release.WriteRelease(p.Releases(), v, key, map[string][]byte{"linux/amd64": []byte("agent " + v)}); err != nil {
			t.Fatal(err)
		}
	}
	a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64")
	if a.code != 200 || a.latest.Version != "v0.0.0-dev.20261206220000" {
		t.Fatalf("latest: %d %s", a.code, a.body)
	}
	if f := get(t, srv.URL+a.latest.SignatureURL); f.code != 200 {
		t.Fatalf("signature: %d %s", f.code, f.body)
	}
}
