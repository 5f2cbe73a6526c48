package releases_test

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/hub/releases"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// releaseDir writes signed releases of every version for linux/amd64 and windows/arm64.
func releaseDir(t *testing.T, versions ...string) string {
	t.Helper()
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(nil)
	for _, v := range versions {
		bins := map[string][]byte{"linux/amd64": []byte("agent " + v), "windows/arm64": []byte("agent.exe " + v)}
		if err := release.WriteRelease(dir, v, priv, bins); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func serve(t *testing.T, cfg config.Releases) *httptest.Server {
	t.Helper()
	if cfg.RolloutPercent == 0 {
		cfg.RolloutPercent = 100
	}
	h, err := releases.New(cfg, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// The REST API's catch-all must not shadow the releases, whichever is mounted first.
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "rest api", http.StatusTeapot) })
	mux.Handle("GET "+releases.Prefix, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	code   int
	body   string
	latest releases.Latest
}

func get(t *testing.T, url string) answer {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{code: resp.StatusCode, body: string(b)}
	var e struct{ Error string }
	if resp.StatusCode >= 400 && json.Unmarshal(b, &e) == nil {
		a.body = e.Error
	}
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &a.latest); err != nil {
			t.Fatalf("latest: %v: %s", err, b)
		}
	}
	return a
}

func TestLatestFromDir(t *testing.T) {
	dir := releaseDir(t, "v1.0.0", "v1.2.0", "v1.10.0", "v2.0.0-rc.1")
	os.MkdirAll(filepath.Join(dir, "not-a-version"), 0o755)
	os.MkdirAll(filepath.Join(dir, "v3.0.0"), 0o755) // no checksums: not a release
	srv := serve(t, config.Releases{Dir: dir})
	a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64&agent=laptop")
	if a.code != 200 {
		t.Fatalf("latest: %d %s", a.code, a.body)
	}
	want := releases.Latest{Version: "v1.10.0", OS: "linux", Arch: "amd64",
		Archive:      "mcp-gateway-agent_v1.10.0_linux_amd64.tar.gz",
		URL:          releases.Prefix + "v1.10.0/mcp-gateway-agent_v1.10.0_linux_amd64.tar.gz",
		ChecksumsURL: releases.Prefix + "v1.10.0/checksums.txt", SignatureURL: releases.Prefix + "v1.10.0/checksums.txt.sig"}
	if a.latest != want {
		t.Fatalf("latest = %+v\nwant %+v", a.latest, want)
	}
	for _, u := range []string{a.latest.URL, a.latest.ChecksumsURL, a.latest.SignatureURL} {
		f := get(t, srv.URL+u)
		disk, _ := os.ReadFile(filepath.Join(dir, "v1.10.0", filepath.Base(u)))
		if f.code != 200 || f.body != string(disk) {
			t.Errorf("GET %s: %d, %d bytes (want %d)", u, f.code, len(f.body), len(disk))
		}
	}
	if a := get(t, srv.URL+releases.Prefix+"latest?os=windows&arch=arm64"); a.latest.Archive != "mcp-gateway-agent_v1.10.0_windows_arm64.zip" {
		t.Errorf("windows: %d %+v", a.code, a.latest)
	}
	if a := get(t, srv.URL+releases.Prefix+"latest?os=darwin&arch=arm64"); a.code != 404 || !strings.Contains(a.body, "no archive for darwin/arm64") {
		t.Errorf("missing platform: %d %s", a.code, a.body)
	}
}

func TestPinnedVersion(t *testing.T) {
	dir := releaseDir(t, "v1.0.0", "v1.2.0", "v2.0.0-rc.1")
	for pin, want := range map[string]string{"v1.0.0": "v1.0.0", "v2.0.0-rc.1": "v2.0.0-rc.1"} {
		srv := serve(t, config.Releases{Dir: dir, PinnedVersion: pin})
		if a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64"); a.latest.Version != want {
			t.Errorf("pinned %s: got %d %+v %s", pin, a.code, a.latest, a.body)
		}
	}
	srv := serve(t, config.Releases{Dir: dir, PinnedVersion: "v9.9.9"})
	if a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64"); a.code != 404 || !strings.Contains(a.body, "no release v9.9.9") {
		t.Errorf("pinned to a missing release: %d %s", a.code, a.body)
	}
}

func TestRollout(t *testing.T) {
	dir := releaseDir(t, "v1.0.0", "v1.1.0")
	srv := serve(t, config.Releases{Dir: dir, RolloutPercent: 30})
	counts := map[string]int{}
	for i := range 400 {
		url := fmt.Sprintf("%s%slatest?os=linux&arch=amd64&agent=agent-%d", srv.URL, releases.Prefix, i)
		a := get(t, url)
		counts[a.latest.Version]++
		if again := get(t, url); again.latest.Version != a.latest.Version {
			t.Fatalf("agent-%d moved between buckets", i)
		}
	}
	if counts["v1.1.0"] < 80 || counts["v1.1.0"] > 160 || counts["v1.0.0"]+counts["v1.1.0"] != 400 {
		t.Errorf("30%% rollout over 400 agents: %v", counts)
	}
	if a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64"); a.latest.Version != "v1.0.0" {
		t.Errorf("an agent without an id is outside a partial rollout: got %+v", a.latest)
	}
	none := serve(t, config.Releases{Dir: releaseDir(t, "v1.1.0"), RolloutPercent: 30})
	var noUpdate int
	for i := range 40 {
		a := get(t, fmt.Sprintf("%s%slatest?os=linux&arch=amd64&agent=agent-%d", none.URL, releases.Prefix, i))
		if a.code == http.StatusNoContent {
			noUpdate++
		} else if a.latest.Version != "v1.1.0" {
			t.Fatalf("agent-%d: %d %s", i, a.code, a.body)
		}
	}
	if noUpdate == 0 || noUpdate == 40 {
		t.Errorf("with nothing older, agents outside the rollout get 204: %d of 40 did", noUpdate)
	}
}

func TestBadRequests(t *testing.T) {
	dir := releaseDir(t, "v1.0.0")
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("SECRET"), 0o644)
	os.WriteFile(filepath.Join(dir, "v1.0.0", "unlisted.txt"), []byte("SECRET"), 0o644)
	srv := serve(t, config.Releases{Dir: dir})
	p := srv.URL + releases.Prefix
	for url, want := range map[string]struct {
		code int
		msg  string
	}{
		p + "latest?os=plan9&arch=amd64":                 {400, `os "plan9" is not one of`},
		p + "latest?os=linux&arch=mips":                  {400, `arch "mips" is not one of`},
		p + "latest":                                     {400, "os/arch"},
		p + "latest?os=linux&arch=amd64&agent=a/b":       {400, "agent"},
		p + "v1.0.0/..%2f..%2fsecret.txt":                {400, "bad release path"},
		p + "..%2fsecret.txt/checksums.txt":              {400, "bad release path"},
		p + "v1.0.0/%2e%2e":                              {400, "bad release path"},
		p + "v1.0.0/.hidden":                             {400, "starts with a dot"},
		p + "not-a-version/checksums.txt":                {400, "MAJOR.MINOR.PATCH"},
		p + "v1.0.0/unlisted.txt":                        {404, "not a file of release v1.0.0"},
		p + "v9.0.0/checksums.txt":                       {404, "release v9.0.0 has no checksums.txt"},
		p + "v1.0.0/checksums.txt/extra":                 {404, "no such release path"},
		p + "v1.0.0/mcp-gateway-agent_v1.0.0_darwin.zip": {404, "not a file of release"},
	} {
		a := get(t, url)
		if a.code != want.code || !strings.Contains(a.body, want.msg) || strings.Contains(a.body, "SECRET") {
			t.Errorf("GET %s: %d %q, want %d with %q", url, a.code, a.body, want.code, want.msg)
		}
	}
	if a := get(t, p+"v1.0.0/checksums.txt"); a.code != 200 {
		t.Errorf("the same request without tricks fails: %d", a.code)
	}
}

func TestNotConfigured(t *testing.T) {
	srv := serve(t, config.Releases{})
	if a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64"); a.code != 404 || !strings.Contains(a.body, "serves no agent releases") {
		t.Errorf("%d %s", a.code, a.body)
	}
	if _, err := releases.New(config.Releases{Dir: "/nonexistent/releases", RolloutPercent: 100}, nil, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a missing directory was accepted")
	}
}

// The same directory behind a static file server, proxied by the hub.
func TestUpstream(t *testing.T) {
	dir := releaseDir(t, "v1.0.0", "v1.1.0")
	// "latest" as GitHub serves it: the newest release's files under another path.
	os.Symlink(filepath.Join(dir, "v1.1.0"), filepath.Join(dir, "latest"))
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(static.Close)
	srv := serve(t, config.Releases{Upstream: static.URL})
	a := get(t, srv.URL+releases.Prefix+"latest?os=linux&arch=amd64&agent=x")
	if a.code != 200 || a.latest.Version != "v1.1.0" {
		t.Fatalf("latest via upstream: %d %s", a.code, a.body)
	}
	f := get(t, srv.URL+a.latest.URL)
	disk, _ := os.ReadFile(filepath.Join(dir, "v1.1.0", a.latest.Archive))
	if f.code != 200 || f.body != string(disk) {
		t.Fatalf("archive via upstream: %d, %d bytes", f.code, len(f.body))
	}
	if f := get(t, srv.URL+releases.Prefix+"v1.0.0/checksums.txt.sig"); f.code != 200 {
		t.Errorf("older release's signature via upstream: %d %s", f.code, f.body)
	}
	if f := get(t, srv.URL+releases.Prefix+"v7.0.0/checksums.txt"); f.code != 404 {
		t.Errorf("missing release via upstream: %d %s", f.code, f.body)
	}
	if f := get(t, srv.URL+releases.Prefix+"v1.0.0/other.bin"); f.code != 404 {
		t.Errorf("unlisted file via upstream: %d %s", f.code, f.body)
	}
	static.Close()
	down := serve(t, config.Releases{Upstream: static.URL})
	if f := get(t, down.URL+releases.Prefix+"latest?os=linux&arch=amd64"); f.code != 502 || !strings.Contains(f.body, "unreachable") {
		t.Errorf("upstream down: %d %s", f.code, f.body)
	}
}

// A real hub serves releases from [releases] dir without authentication.
func TestHubServesReleases(t *testing.T) {
	dir := releaseDir(t, "v1.0.0")
	hub := hubtest.Start(t, func(c *config.Config) { c.Releases.Dir = dir })
	if a := get(t, hub.URL+releases.Prefix+"latest?os=linux&arch=amd64&agent=laptop"); a.code != 200 || a.latest.Version != "v1.0.0" {
		t.Fatalf("%d %s", a.code, a.body)
	}
	// Both ways: the REST API next to it still requires a key.
	if a := get(t, hub.URL+"/api/v1/agents"); a.code != http.StatusUnauthorized {
		t.Fatalf("REST API without a key: %d %s", a.code, a.body)
	}
	bad := config.Default()
	bad.Releases.RolloutPercent = 101
	bad.Releases.Dir, bad.Releases.Upstream = dir, "ftp://x"
	err := bad.Validate()
	for _, want := range []string{"rollout_percent 101", "not both", "releases.upstream \"ftp://x\""} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want %q", err, want)
		}
	}
}

// Asking again for a release the upstream does not have is answered from the cache.
func TestUpstreamRemembersMissingReleases(t *testing.T) {
	dir := releaseDir(t, "v1.0.0")
	var hits atomic.Int64
	files := http.FileServer(http.Dir(dir))
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(static.Close)
	srv := serve(t, config.Releases{Upstream: static.URL, UpstreamCache: config.Duration{Duration: time.Minute}})
	for range 5 {
		if f := get(t, srv.URL+releases.Prefix+"v9.9.9/checksums.txt"); f.code != 404 {
			t.Fatalf("missing release: %d %s", f.code, f.body)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("5 requests for a missing release made %d upstream requests, want 1", n)
	}
}
