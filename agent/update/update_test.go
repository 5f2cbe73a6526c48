package update

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	hubconfig "github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// fixture is a real hub serving signed releases from a directory, and an installed "binary".
type fixture struct {
	dir, hubURL     string
	pub             ed25519.PublicKey
	priv            ed25519.PrivateKey
	target, state   string
	installedBinary []byte
}

func newFixture(t *testing.T, versions ...string) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.pub, f.priv, _ = ed25519.GenerateKey(nil)
	for _, v := range versions {
		f.publish(t, v)
	}
	hub := hubtest.Start(t, func(c *hubconfig.Config) { c.Releases.Dir = f.dir })
	f.hubURL = hub.URL
	home := t.TempDir()
	f.target, f.state = filepath.Join(home, "bin", "mcp-gateway-agent"), filepath.Join(home, "update-state.json")
	os.MkdirAll(filepath.Dir(f.target), 0o755)
	f.installedBinary = []byte("binary v1.0.0")
	os.WriteFile(f.target, f.installedBinary, 0o755)
	return f
}

func (f *fixture) publish(t *testing.T, v string) {
	t.Helper()
	err := release.WriteRelease(f.dir, v, f.priv, map[string][]byte{"linux/amd64": []byte("binary " + v)})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) updater(t *testing.T, current string, keys ...ed25519.PublicKey) *Updater {
	t.Helper()
	if keys == nil {
		keys = []ed25519.PublicKey{f.pub}
	}
	u, err := New(Options{HubURL: f.hubURL, AgentID: "laptop", Keys: keys, Current: current, OS: "linux", Arch: "amd64",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) install(t *testing.T, u *Updater) error {
	t.Helper()
	rel, err := u.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rel == nil {
		t.Fatal("no release offered")
	}
	return u.Install(context.Background(), rel, f.target, f.state)
}

func (f *fixture) assertUnchanged(t *testing.T) {
	t.Helper()
	if b, _ := os.ReadFile(f.target); string(b) != string(f.installedBinary) {
		t.Fatalf("the binary changed to %q", b)
	}
	if st, _ := LoadState(f.state); st.Pending != nil {
		t.Fatalf("a refused update left a pending state: %+v", st.Pending)
	}
}

func TestInstall(t *testing.T) {
	f := newFixture(t, "v1.0.0", "v1.1.0")
	u := f.updater(t, "v1.0.0")
	rel, err := u.Check(context.Background())
	if err != nil || rel == nil || rel.Version != "v1.1.0" || !rel.Newer {
		t.Fatalf("check: %+v %v", rel, err)
	}
	if err := f.install(t, u); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f.target); string(b) != "binary v1.1.0" {
		t.Fatalf("target holds %q", b)
	}
	if b, _ := os.ReadFile(f.target + OldSuffix); string(b) != "binary v1.0.0" {
		t.Fatalf("old binary holds %q", b)
	}
	if info, _ := os.Stat(f.target); info.Mode().Perm() != 0o755 {
		t.Errorf("mode %v", info.Mode())
	}
	st, err := LoadState(f.state)
	if err != nil || st.Pending == nil || st.Pending.Version != "v1.1.0" || st.Pending.Previous != "v1.0.0" || st.Pending.OldBinary != f.target+OldSuffix {
		t.Fatalf("state: %+v %v", st.Pending, err)
	}
	if rel, _ := f.updater(t, "v1.1.0").Check(context.Background()); rel == nil || rel.Newer {
		t.Errorf("the same version is offered as newer: %+v", rel)
	}
}

func TestRefusals(t *testing.T) {
	t.Run("tampered archive", func(t *testing.T) {
		f := newFixture(t, "v1.1.0")
		archive := filepath.Join(f.dir, "v1.1.0", release.ArchiveName("v1.1.0", "linux", "amd64"))
		var evil strings.Builder
		release.WriteArchive(&evil, "linux", []byte("evil binary"))
		os.WriteFile(archive, []byte(evil.String()), 0o644)
		err := f.install(t, f.updater(t, "v1.0.0"))
		if !errors.Is(err, release.ErrChecksumMismatch) || !strings.Contains(err.Error(), "tampered") {
			t.Fatalf("got %v", err)
		}
		f.assertUnchanged(t)
	})
	t.Run("wrong signature", func(t *testing.T) {
		f := newFixture(t, "v1.1.0")
		other, _, _ := ed25519.GenerateKey(nil)
		err := f.install(t, f.updater(t, "v1.0.0", other))
		if !errors.Is(err, release.ErrBadSignature) || !strings.Contains(err.Error(), "wrong signature") {
			t.Fatalf("got %v", err)
		}
		f.assertUnchanged(t)
	})
	t.Run("re-signed checksums", func(t *testing.T) {
		f := newFixture(t, "v1.1.0")
		_, evil, _ := ed25519.GenerateKey(nil)
		sums := filepath.Join(f.dir, "v1.1.0", release.ChecksumsFile)
		text, _ := os.ReadFile(sums)
		os.WriteFile(sums+".sig", release.Sign(evil, text), 0o644)
		if err := f.install(t, f.updater(t, "v1.0.0")); !errors.Is(err, release.ErrBadSignature) {
			t.Fatalf("got %v", err)
		}
		f.assertUnchanged(t)
	})
	t.Run("no key", func(t *testing.T) {
		f := newFixture(t, "v1.1.0")
		u := f.updater(t, "v1.0.0")
		u.o.Keys = nil
		if err := f.install(t, u); !errors.Is(err, release.ErrNoKeys) {
			t.Fatalf("got %v", err)
		}
		f.assertUnchanged(t)
	})
	t.Run("downgrade", func(t *testing.T) {
		f := newFixture(t, "v1.1.0")
		err := f.install(t, f.updater(t, "v2.0.0"))
		if !errors.Is(err, ErrDowngrade) || !strings.Contains(err.Error(), "from v2.0.0 to v1.1.0") {
			t.Fatalf("got %v", err)
		}
		f.assertUnchanged(t)
	})
	t.Run("same version", func(t *testing.T) {
		f := newFixture(t, "v1.1.0")
		if err := f.install(t, f.updater(t, "v1.1.0")); !errors.Is(err, ErrSame) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("dev build", func(t *testing.T) {
		f := newFixture(t, "v1.1.0")
		if err := f.install(t, f.updater(t, "dev")); !errors.Is(err, ErrDevBuild) {
			t.Fatalf("got %v", err)
		}
		f.assertUnchanged(t)
	})
}

// A hub (or a proxy) that relabels an old signed release as a new version is caught: the
// version is part of the signed archive name.
func TestReplayedOldReleaseIsCaught(t *testing.T) {
	f := newFixture(t, "v1.0.1")
	u := f.updater(t, "v1.0.0")
	rel, err := u.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := u.Download(context.Background(), rel)
	if err != nil {
		t.Fatal(err)
	}
	p.Release.Version = "v9.0.0" // the hub's claim
	if _, err := u.Verify(p); !errors.Is(err, ErrNotSigned) {
		t.Fatalf("relabelled release: got %v", err)
	}
	p.Release.Version = "v1.0.1"
	if _, err := u.Verify(p); err != nil {
		t.Fatalf("the true label is refused: %v", err)
	}
}

func TestCheckErrors(t *testing.T) {
	f := newFixture(t)
	if _, err := f.updater(t, "v1.0.0").Check(context.Background()); err == nil || !strings.Contains(err.Error(), "no releases found") {
		t.Errorf("empty release dir: %v", err)
	}
	u := f.updater(t, "v1.0.0")
	u.o.OS = "plan9"
	if _, err := u.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "plan9") {
		t.Errorf("bad os: %v", err)
	}
	if _, err := New(Options{HubURL: "ws://hub"}); err == nil {
		t.Error("a ws:// hub URL was accepted")
	}
}

func TestHubURL(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"wss://hub.example.com/agent/ws", ""}:              "https://hub.example.com",
		{"ws://127.0.0.1:3200/agent/ws", ""}:                "http://127.0.0.1:3200",
		{"wss://example.com/gw/agent/ws?x=1", ""}:           "https://example.com/gw",
		{"wss://hub.example.com/agent/ws", "https://dash/"}: "https://dash",
	} {
		got, err := HubURL(config.Agent{GatewayURL: in[0], DashboardURL: in[1]})
		if err != nil || got != want {
			t.Errorf("HubURL(%v) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := HubURL(config.Agent{GatewayURL: "ftp://x/agent/ws"}); err == nil {
		t.Error("ftp gateway accepted")
	}
}

func TestTrustedKeys(t *testing.T) {
	pub, _, _ := release.GenerateKey()
	keys, err := TrustedKeys(pub, "")
	if err != nil || len(keys) != 1 {
		t.Fatalf("%v %v", keys, err)
	}
	if keys, _ := TrustedKeys("", ""); len(keys) != 0 {
		t.Error("keys from nothing")
	}
	if _, err := TrustedKeys("garbage", pub); err == nil || !strings.Contains(err.Error(), "compiled-in") {
		t.Errorf("a bad compiled-in key: %v", err)
	}
}

func TestAuto(t *testing.T) {
	f := newFixture(t, "v1.1.0")
	u := f.updater(t, "v1.0.0")
	var offered []string
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rel, err := u.Auto(ctx, 50*time.Millisecond, f.target, f.state, func(v string) { offered = append(offered, v) })
	if err != nil || rel.Version != "v1.1.0" || len(offered) != 1 {
		t.Fatalf("auto: %+v %v %v", rel, err, offered)
	}
	if b, _ := os.ReadFile(f.target); string(b) != "binary v1.1.0" {
		t.Fatalf("target holds %q", b)
	}
	// A version that was rolled back is not installed again automatically.
	os.WriteFile(f.target, f.installedBinary, 0o755)
	LoadState(f.state)
	(State{RolledBack: []string{"v1.1.0"}}).Save(f.state)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if rel, err := u.Auto(ctx2, 50*time.Millisecond, f.target, f.state, nil); rel != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a rolled-back version was installed again: %+v %v", rel, err)
	}
	f.assertUnchanged(t)
}

// An update installed by hand while a service runs the previous version: the service's
// automatic check restarts into it instead of installing it a second time (which would
// overwrite the kept previous binary).
func TestAutoRestartsIntoAPendingUpdate(t *testing.T) {
	f := newFixture(t, "v1.1.0")
	if err := f.install(t, f.updater(t, "v1.0.0")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rel, err := f.updater(t, "v1.0.0").Auto(ctx, 50*time.Millisecond, f.target, f.state, nil)
	if err != nil || rel.Version != "v1.1.0" {
		t.Fatalf("auto: %+v %v", rel, err)
	}
	if b, _ := os.ReadFile(f.target + OldSuffix); string(b) != "binary v1.0.0" {
		t.Fatalf("the kept previous binary was replaced by %q", b)
	}
}

func TestFromConfig(t *testing.T) {
	pub, _, _ := release.GenerateKey()
	a := config.Agent{AgentID: "laptop", GatewayURL: "wss://hub.example.com/agent/ws", APIKey: "k",
		TLSSkipVerify: true, ProxyURL: "http://proxy.example:3128", ReleasePublicKey: pub}
	o, err := FromConfig(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.HubURL != "https://hub.example.com" || len(o.Keys) != 1 || o.AgentID != "laptop" {
		t.Fatalf("options %+v", o)
	}
	a.ReleasePublicKey = "bad"
	if _, err := FromConfig(a, nil); err == nil || !strings.Contains(err.Error(), "release_public_key") {
		t.Fatalf("bad configured key: %v", err)
	}
}
