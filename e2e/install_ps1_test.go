package e2e

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// PowerShell cannot be installed on this machine, so install.ps1 cannot run here. This test
// takes the URLs, file names and patterns out of the script's text, fills in its variables the
// way PowerShell would, and walks the script's steps against a real hub serving a signed
// Windows release: every request it makes must succeed, and every check must pass on what the
// hub returns. A renamed endpoint, file or variable in either place fails it.

// ps1 is install.ps1 as the hub serves it.
type ps1 struct {
	text string
	t    *testing.T
}

// find returns the first group of pattern in the script, or fails naming what it looked for.
func (p ps1) find(what, pattern string) string {
	p.t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(p.text)
	if m == nil {
		p.t.Fatalf("install.ps1: cannot find %s (%s)", what, pattern)
	}
	return m[1]
}

var psVar = regexp.MustCompile(`\$\(\$([A-Za-z.]+)\)|\$\{([A-Za-z]+)\}|\$([A-Za-z]+)`)

// expand interpolates a double-quoted PowerShell string; an unknown variable fails the test.
func (p ps1) expand(s string, vars map[string]string) string {
	p.t.Helper()
	return psVar.ReplaceAllStringFunc(s, func(m string) string {
		g := psVar.FindStringSubmatch(m)
		name := g[1] + g[2] + g[3]
		v, ok := vars[name]
		if !ok {
			p.t.Fatalf("install.ps1 uses $%s in %q, which this test does not know", name, s)
		}
		return v
	})
}

func (p ps1) get(url string) (int, []byte) {
	p.t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		p.t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func fakeWindowsZip(t *testing.T, version string) map[string][]byte {
	t.Helper()
	// The bytes are not run (no Windows here); they only travel through the archive.
	exe := []byte("MZ mcp-gateway-agent " + version + " for windows")
	return map[string][]byte{"windows/amd64": exe, "windows/arm64": exe}
}

func TestInstallPs1AgainstHub(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	const version = "v1.4.0"
	if err := release.WriteRelease(dir, version, priv, fakeWindowsZip(t, version)); err != nil {
		t.Fatal(err)
	}
	hub := hubtest.Start(t, func(c *config.Config) { c.Releases.Dir = dir })
	resp, err := http.Get(hub.URL + "/install.ps1")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p := ps1{text: string(text), t: t}

	served := p.find("the served hub URL", `\$servedHub = '([^']*)'`)
	if served != hub.URL {
		t.Fatalf("install.ps1 from the hub carries %q, want %s", served, hub.URL)
	}
	if url := p.find("the URL pattern", `\$url -notmatch '([^']*)'`); !regexp.MustCompile(url).MatchString(hub.URL) {
		t.Fatalf("the hub URL %s fails install.ps1's own check %s", hub.URL, url)
	}
	if key := p.find("the key pattern", `\$ReleaseKey -notmatch '([^']*)'`); !regexp.MustCompile(key).MatchString(base64.StdEncoding.EncodeToString(pub)) {
		t.Fatalf("a release key fails install.ps1's check %s", key)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			p.t = t
			walkPs1(p, hub.URL, arch, version, pub)
		})
	}
}

// walkPs1 follows Resolve-Release, Test-Release and Install-Binary for one architecture.
func walkPs1(p ps1, hubURL, arch, version string, pub ed25519.PublicKey) {
	t := p.t
	vars := map[string]string{"Hub": hubURL, "arch": arch}
	code, body := p.get(p.expand(p.find("the latest URL", `-Uri "([^"]*latest[^"]*)"`), vars))
	if code != http.StatusOK {
		t.Fatalf("latest: %d %s", code, body)
	}
	var latest struct{ Version, Archive string }
	if err := json.Unmarshal(body, &latest); err != nil || latest.Version != version {
		t.Fatalf("latest: %s (%v)", body, err)
	}
	vars["Version"] = latest.Version
	if name := p.find("the name pattern", `\$value -notmatch '([^']*)'`); !regexp.MustCompile(name).MatchString(latest.Version) {
		t.Fatalf("version %q fails install.ps1's name check %s", latest.Version, name)
	}
	// The script takes the hub's archive name (without any path) and would build the same one.
	archive := latest.Archive[strings.LastIndex(latest.Archive, "/")+1:]
	if built := p.expand(p.find("the archive name", `\$archive = "(mcp-gateway-agent_[^"]*)"`), vars); built != archive || !strings.HasSuffix(archive, ".zip") {
		t.Fatalf("the hub names the archive %q; install.ps1 would build %q", archive, built)
	}
	vars["base"] = p.expand(p.find("the releases base", `\$base = "(\$Hub/[^"]*)"`), vars)
	vars["rel.Base"] = p.expand(p.find("the version's base", `Base = "([^"]*)"`), vars)
	vars["rel.Archive"] = archive

	files := regexp.MustCompile(`Get-File "([^"]*)"`).FindAllStringSubmatch(p.text, -1)
	got := map[string][]byte{}
	for _, f := range files {
		url := p.expand(f[1], vars)
		code, body := p.get(url)
		if code != http.StatusOK {
			t.Fatalf("install.ps1 would download %s: %d %s", url, code, body)
		}
		got[url[strings.LastIndex(url, "/")+1:]] = body
	}
	sums, sig, zipped := got[release.ChecksumsFile], got[release.SignatureFile], got[archive]
	if len(files) != 3 || sums == nil || sig == nil || zipped == nil {
		t.Fatalf("install.ps1 downloads %d files (%v); want checksums, signature and archive", len(files), files)
	}
	if err := release.Verify([]ed25519.PublicKey{pub}, sums, sig); err != nil {
		t.Fatalf("the signature the script checks with openssl: %v", err)
	}
	checkPs1Checksum(t, sums, archive, zipped)
	exe := p.find("the binary name", `-Filter '([^']*)'`)
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if filepath.Base(f.Name) == exe {
			return
		}
	}
	t.Fatalf("%s holds no %s", archive, exe)
}

// checkPs1Checksum is Test-Release's loop: split each line on white space, strip a leading *.
func checkPs1Checksum(t *testing.T, sums []byte, archive string, data []byte) {
	t.Helper()
	sum := sha256.Sum256(data)
	for _, line := range strings.Split(string(sums), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && strings.TrimPrefix(f[1], "*") == archive {
			if strings.ToLower(f[0]) != hex.EncodeToString(sum[:]) {
				t.Fatalf("%s: checksums.txt says %s, the download hashes to %x", archive, f[0], sum)
			}
			return
		}
	}
	t.Fatalf("checksums.txt does not list %s:\n%s", archive, sums)
}

// During a staged rollout the hub answers 204 to a new install (no agent id): install.ps1's
// "nothing offered" branch exists for that answer.
func TestInstallPs1StagedRolloutAnswer(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	if err := release.WriteRelease(dir, "v1.4.0", priv, fakeWindowsZip(t, "v1.4.0")); err != nil {
		t.Fatal(err)
	}
	hub := hubtest.Start(t, func(c *config.Config) { c.Releases.Dir = dir; c.Releases.RolloutPercent = 0 })
	text, err := os.ReadFile(filepath.Join(repoRoot(t), "install.ps1"))
	if err != nil {
		t.Fatal(err)
	}
	p := ps1{text: string(text), t: t}
	url := p.expand(p.find("the latest URL", `-Uri "([^"]*latest[^"]*)"`), map[string]string{"Hub": hub.URL, "arch": "amd64"})
	if code, body := p.get(url); code != http.StatusNoContent {
		t.Fatalf("latest during a 0%% rollout: %d %s", code, body)
	}
	if !strings.Contains(p.text, "if (-not $latest) { Fail") {
		t.Fatal("install.ps1 does not handle an empty answer from latest")
	}
}

// TestInstallPs1Parses parses install.ps1 with tree-sitter's PowerShell grammar (the npm peers
// of e2e/setup.sh): no syntax errors, and a cut-off copy is caught, so the check can fail.
// PowerShell parses the whole text before it runs any of it, so a copy that does not parse
// runs nothing. That must hold for a cut inside the last line too: a call cut after
// "-Hub $Hub" would otherwise run without the later arguments (an install instead of
// -Uninstall, no -Enroll).
func TestInstallPs1Parses(t *testing.T) {
	node := nodeBin(t)
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "tree-sitter-powershell", "tree-sitter-powershell.wasm")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tree-sitter-powershell is not installed: run e2e/setup.sh")
		}
		t.Skip("tree-sitter-powershell is not installed: run e2e/setup.sh")
	}
	text, err := os.ReadFile(filepath.Join(root, "install.ps1"))
	if err != nil {
		t.Fatal(err)
	}
	trimmed := strings.TrimRight(string(text), "\r\n")
	lastLine := strings.LastIndex(trimmed, "\n") + 1
	cutAt := []int{len(text) * 2 / 3}
	for i := lastLine + 1; i < len(trimmed); i++ {
		if trimmed[i] == ' ' { // after each word of the call: a complete, shorter command
			cutAt = append(cutAt, i)
		}
	}
	dir := t.TempDir()
	args := []string{filepath.Join(root, "e2e", "ts", "ps1parse.mjs"), filepath.Join(root, "install.ps1")}
	for i, n := range cutAt {
		cut := filepath.Join(dir, fmt.Sprintf("cut%d.ps1", i))
		if err := os.WriteFile(cut, text[:n], 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, cut)
	}
	// One node run (loading the grammar takes seconds on a busy machine) for all files.
	out, _ := exec.Command(node, args...).CombinedOutput()
	var own []string
	caught := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		switch {
		case strings.HasPrefix(l, dir):
			caught[l[:strings.Index(l, ".ps1:")+4]] = true
		case l != "":
			own = append(own, l)
		}
	}
	if len(own) > 0 {
		t.Fatalf("install.ps1 does not parse:\n%s", strings.Join(own, "\n"))
	}
	for i, n := range cutAt {
		if !caught[filepath.Join(dir, fmt.Sprintf("cut%d.ps1", i))] {
			t.Errorf("install.ps1 cut at byte %d of %d parses cleanly, so it would run: ...%q", n, len(text), text[max(0, n-40):n])
		}
	}
}
