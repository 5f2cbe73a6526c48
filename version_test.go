package mcpgateway

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// TestVersionIsTheSameEverywhere builds both commands with a version set at link time and
// checks that every place a version is shown says the same: `mcp-gateway-hub version`, the
// hub's start-up log, serverInfo in initialize, the OpenAPI document, the hub's version the
// agent's setup was told in welcome, `mcp-gateway-agent version`, and the version the agent
// said in hello (the REST API's agent session). All come from shared/version.Current.
func TestVersionIsTheSameEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands")
	}
	const v = "v9.8.7-consistency"
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-ldflags", "-X github.com/mcp-gateway/mcp-gateway/shared/version.Version="+v,
		"-o", bin+string(filepath.Separator), "./hub/cmd/mcp-gateway-hub", "./agent/cmd/mcp-gateway-agent")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	hubBin, agentBin := filepath.Join(bin, "mcp-gateway-hub"), filepath.Join(bin, "mcp-gateway-agent")
	env := append(os.Environ(), "HOME="+tmp, "MCPGW_KEY=", "MCPGW_HUB=", "MCPGW_LISTEN=", "MCPGW_DATA_DIR=", "DATABASE_URL=")
	run := func(stdin string, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, name, args...)
		c.Env, c.Stdin = env, strings.NewReader(stdin)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
		}
		return string(out)
	}
	seen := map[string]string{}
	seen["mcp-gateway-hub version"] = strings.Fields(run("", hubBin, "version"))[1]
	seen["mcp-gateway-agent version"] = strings.Fields(run("", agentBin, "version"))[1]

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	base := "http://" + addr
	data := filepath.Join(tmp, "hub")
	procs := []*exec.Cmd{}
	t.Cleanup(func() {
		for _, p := range procs {
			p.Process.Kill()
			p.Wait()
		}
	})
	start := func(name string, args ...string) *syncbuf.Buffer {
		c := exec.Command(name, args...)
		c.Env = env
		out := &syncbuf.Buffer{}
		c.Stdout, c.Stderr = out, out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, c)
		return out
	}
	waitFor := func(what string, out *syncbuf.Buffer, ok func() bool) {
		t.Helper()
		if !waitfor.Poll(60*time.Second, ok) {
			t.Fatalf("no %s within 60 s:\n%s", what, out.String())
		}
	}
	hubOut := start(hubBin, "serve", "--data-dir", data, "--listen", addr)
	var owner string
	waitFor("hub ready", hubOut, func() bool {
		k, _ := os.ReadFile(filepath.Join(data, "owner.key"))
		owner = strings.TrimSpace(string(k))
		return owner != "" && strings.Contains(hubOut.String(), "hub listening")
	})
	if m := regexp.MustCompile(`msg="hub listening".* version=(\S+)`).FindStringSubmatch(hubOut.String()); m != nil {
		seen["hub start-up log"] = m[1]
	} else {
		t.Errorf("no version in the start-up log:\n%s", hubOut.String())
	}
	call := func(method, path, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+owner)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return b
	}
	initRes := call("POST", "/mcp", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"version-test","version":"1"}}}`)
	if m := regexp.MustCompile(`"serverInfo":\{[^}]*"version":"([^"]*)"`).FindSubmatch(initRes); m != nil {
		seen["serverInfo (initialize)"] = string(m[1])
	} else {
		t.Errorf("initialize answered without serverInfo.version: %s", initRes)
	}
	var doc struct {
		Info struct{ Version string } `json:"info"`
	}
	if err := json.Unmarshal(call("GET", "/api/v1/openapi.json", ""), &doc); err != nil {
		t.Fatal(err)
	}
	seen["OpenAPI info.version"] = doc.Info.Version

	enrolled := run("", "env", "MCPGW_KEY="+owner, hubBin, "agents", "enroll", "box", "--hub", base)
	key := regexp.MustCompile(`mcpgw_\S+`).FindString(enrolled)
	cfg := filepath.Join(tmp, "agent.toml")
	setup := run("", "env", "MCPGW_API_KEY="+key, agentBin, "setup", "--hub", base, "--agent-id", "box", "--config", cfg)
	if m := regexp.MustCompile(`hub \(version (\S+)\)`).FindStringSubmatch(setup); m != nil {
		seen["welcome, as agent setup reports it"] = m[1]
	} else {
		t.Errorf("setup did not report the hub's version:\n%s", setup)
	}
	agentOut := start(agentBin, "run", "--headless", "--config", cfg)
	waitFor("agent session", agentOut, func() bool {
		var l struct {
			Items []struct {
				ID      string `json:"id"`
				Session *struct {
					Version string `json:"version"`
				} `json:"session"`
			} `json:"items"`
		}
		if json.Unmarshal(call("GET", "/api/v1/agents", ""), &l) != nil {
			return false
		}
		for _, a := range l.Items {
			if a.ID == "box" && a.Session != nil {
				seen["hello, as the hub's agent session has it"] = a.Session.Version
				return true
			}
		}
		return false
	})

	for where, got := range seen {
		if got != v {
			t.Errorf("%s says %q, want %q", where, got, v)
		}
	}
	if len(seen) != 7 {
		t.Errorf("checked %d places, want 7: %v", len(seen), seen)
	}
}

// TestVersionHasOneSource: outside shared/version, the version is shown through
// version.Current (or String) only. version.Version, the link-time value, is "dev" in a build
// that Go stamped with a module version: shown directly, it made the hub's logs, serverInfo
// and welcome say "dev" while `version` said the module version. It remains only where an
// agent decides whether it is a release build that may update itself.
func TestVersionHasOneSource(t *testing.T) {
	allowed := map[string]int{ // file → uses of version.Version, each a self-update decision
		"agent/cli/update.go":    3, // devBuild, SameVersion, update.Begin's state
		"agent/update/update.go": 1, // Options.Current's default, compared with releases
	}
	use := regexp.MustCompile(`\bversion\.Version\b`)
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasPrefix(path, "shared/version/") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n := 0
		for _, line := range strings.Split(string(src), "\n") {
			if code, _, _ := strings.Cut(line, "//"); use.MatchString(code) {
				n++
			}
		}
		if n != allowed[filepath.ToSlash(path)] {
			t.Errorf("%s uses version.Version %d times (allowed %d): show version.Current()", path, n, allowed[filepath.ToSlash(path)])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
