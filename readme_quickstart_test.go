package mcpgateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// readmeQuickStart is the README's quick start up to the AI-client section: the part a new
// user follows command by command.
func readmeQuickStart(t *testing.T) (section, whole string) {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	whole = string(raw)
	start := strings.Index(whole, "## Quick start")
	end := strings.Index(whole, "### Connect an AI client")
	if start < 0 || end < start {
		t.Fatal("README.md has no '## Quick start' followed by '### Connect an AI client'")
	}
	return whole[start:end], whole
}

// readmeCommands are the command lines of text: indented code lines outside fenced blocks, and
// inline code spans that start with one of the two commands (with an environment prefix).
func readmeCommands(text string) []string {
	var cmds []string
	fenced := false
	inline := regexp.MustCompile("`((?:[A-Z_]+=\\S+ )?mcp-gateway-(?:hub|agent) [^`]+)`")
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		if strings.HasPrefix(line, "    ") && !strings.HasPrefix(strings.TrimSpace(line), "-") {
			cmds = append(cmds, strings.TrimSpace(line))
			continue
		}
		for _, m := range inline.FindAllStringSubmatch(line, -1) {
			cmds = append(cmds, m[1])
		}
	}
	return cmds
}

// TestReadmeQuickStartRuns runs the README's quick start as printed, in order, on a fresh HOME
// and GOPATH against the hub it starts: go install, serve, the owner key in MCPGW_KEY, enroll,
// releases build (for this machine's platform only), the one-line install with enrolment from
// that hub, the agent's non-interactive setup, backends add, run (until the hub sees the agent
// connected), then the README's keys create (the AI-client section) and users create. Only what cannot run here is
// changed: the hub listens on a free port instead of 3200 (MCPGW_LISTEN, and the URL in the
// commands), placeholders `mcpgw_…` become the keys printed before, and npx runs offline.
// Every other command of the quick start must be in the skip list below with its reason, so a
// new command in the README is either run here or explicitly not.
func TestReadmeQuickStartRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the commands with go install")
	}
	section, whole := readmeQuickStart(t)
	skip := map[string]string{ // prefix → why not run
		"./e2e/test.sh":                          "the whole test suite",
		"$env:MCPGW_ENROLL":                      "PowerShell",
		"mcp-gateway-agent service install":      "installs a system service",
		"mcp-gateway-agent logs -f":              "follows a service's log",
		"mcp-gateway-agent dashboard":            "a terminal screen",
		"mcp-gateway-agent uninstall":            "removes the agent",
		"mcp-gateway-agent setup --hub https://": "a placeholder hub",
	}
	exact := map[string]string{
		"mcp-gateway-agent setup": "the wizard is interactive (agent/setup tests)",
	}
	type step struct {
		prefix string
		run    func(t *testing.T, line string)
	}
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	gopath := filepath.Join(tmp, "gopath")
	os.MkdirAll(home, 0o700)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	hubURL := "http://" + addr

	goenv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	env := map[string]string{
		"HOME": home, "PATH": os.Getenv("PATH"), "GOPATH": gopath,
		"GOCACHE": goenv("GOCACHE"), "GOMODCACHE": goenv("GOMODCACHE"),
		"MCPGW_LISTEN": addr, "MCPGW_HUB": hubURL,
		"npm_config_offline": "true", "TERM": "dumb",
	}
	environ := func() []string {
		var e []string
		for k, v := range env {
			e = append(e, k+"="+v)
		}
		return e
	}
	var ownerKey, agentKey string
	fix := func(line, key string) string {
		line = strings.ReplaceAll(line, "127.0.0.1:3200", addr)
		if key != "" {
			line = strings.ReplaceAll(line, "mcpgw_…", key)
		}
		return line
	}
	sh := func(t *testing.T, line string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, "sh", "-c", line)
		c.Env = environ()
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		if err := c.Run(); err != nil {
			t.Fatalf("README command %q: %v\nstdout: %s\nstderr: %s", line, err, out.String(), errb.String())
		}
		return out.String()
	}
	export := func(t *testing.T, line string) {
		t.Helper()
		name := regexp.MustCompile(`^export ([A-Z_]+)=`).FindStringSubmatch(line)
		if name == nil {
			t.Fatalf("cannot read %q as an export", line)
		}
		env[name[1]] = sh(t, line+"\nprintf %s \"$"+name[1]+"\"")
	}
	var procs []*exec.Cmd
	t.Cleanup(func() {
		// Stopped as a user stops them (the agent then ends its backends' process groups and
		// waits for them), not killed: a killed agent leaves npx and its server running, and
		// npm writing its logs under HOME raced the removal of the test's temporary dir.
		for _, p := range procs {
			_ = p.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(60 * time.Second): // generous on a busy machine; then kill
				p.Process.Kill()
				<-done
			}
		}
	})
	start := func(t *testing.T, line string) *syncbuf.Buffer {
		t.Helper()
		c := exec.Command("sh", "-c", "exec "+line)
		c.Env = environ()
		out := &syncbuf.Buffer{}
		c.Stdout, c.Stderr = out, out
		if err := c.Start(); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		procs = append(procs, c)
		return out
	}
	waitFor := func(t *testing.T, what string, out *syncbuf.Buffer, ok func() bool) {
		t.Helper()
		if !waitfor.Poll(60*time.Second, ok) {
			t.Fatalf("no %s within 60 s; output:\n%s", what, out.String())
		}
	}
	agentConnected := func(id string) bool {
		req, _ := http.NewRequest("GET", hubURL+"/api/v1/agents", nil)
		req.Header.Set("Authorization", "Bearer "+ownerKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var l struct {
			Items []struct {
				ID        string `json:"id"`
				Connected bool   `json:"connected"`
			} `json:"items"`
		}
		if json.NewDecoder(resp.Body).Decode(&l) != nil {
			return false
		}
		for _, a := range l.Items {
			if a.ID == id && a.Connected {
				return true
			}
		}
		return false
	}

	steps := []step{
		{"go install ./hub/cmd/... ./agent/cmd/...", func(t *testing.T, line string) { sh(t, line) }},
		{"export PATH=", export},
		{"mcp-gateway-hub serve", func(t *testing.T, line string) {
			out := start(t, line)
			keyFile := filepath.Join(home, ".mcp-gateway-hub", "owner.key")
			waitFor(t, "hub ready and owner key written", out, func() bool {
				resp, err := http.Get(hubURL + "/readyz")
				if err != nil {
					return false
				}
				resp.Body.Close()
				k, _ := os.ReadFile(keyFile)
				ownerKey = strings.TrimSpace(string(k))
				return resp.StatusCode == 200 && ownerKey != ""
			})
		}},
		{"export MCPGW_KEY=", func(t *testing.T, line string) { export(t, fix(line, ownerKey)) }},
		{"mcp-gateway-hub agents enroll my-macbook", func(t *testing.T, line string) {
			out := sh(t, fix(line, ""))
			agentKey = regexp.MustCompile(`mcpgw_\S+`).FindString(out)
			if agentKey == "" {
				t.Fatalf("%q printed no key:\n%s", line, out)
			}
		}},
		{"mcp-gateway-hub releases build", func(t *testing.T, line string) {
			// Built for this machine's platform only: the six cross-builds of the line as
			// printed take minutes on the CI machine and change nothing the install below
			// checks (e2e TestInstallShFromSelfBuiltHub builds the same way).
			sh(t, line+" --targets "+runtime.GOOS+"/"+runtime.GOARCH)
		}},
		{"curl -fsSL http://127.0.0.1:3200/install.sh | MCPGW_ENROLL=mcpgw_… sh", func(t *testing.T, line string) {
			out := sh(t, "{ "+fix(line, agentKey)+"; } 2>&1") // the script reports on stderr
			if !strings.Contains(out, "Ed25519 signature of checksums.txt verified") {
				t.Errorf("%q did not verify the release signature:\n%s", line, out)
			}
			if _, err := os.Stat(filepath.Join(home, ".mcp-gateway-agent", "bin", "mcp-gateway-agent")); err != nil {
				t.Errorf("%q installed no agent: %v\n%s", line, err, out)
			}
		}},
		{"MCPGW_API_KEY=mcpgw_… mcp-gateway-agent setup --hub", func(t *testing.T, line string) { sh(t, fix(line, agentKey)) }},
		{"mcp-gateway-agent backends add --name fs", func(t *testing.T, line string) { sh(t, fix(line, "")) }},
		{"mcp-gateway-agent run", func(t *testing.T, line string) {
			out := start(t, fix(line, ""))
			waitFor(t, "agent my-macbook connected", out, func() bool { return agentConnected("my-macbook") })
		}},
	}
	cmds := readmeCommands(section)
	i := 0
	for _, cmd := range cmds {
		if i < len(steps) && strings.HasPrefix(cmd, steps[i].prefix) {
			t.Logf("$ %s", cmd)
			steps[i].run(t, cmd)
			i++
			continue
		}
		_, skipped := exact[cmd]
		for p := range skip {
			skipped = skipped || strings.HasPrefix(cmd, p)
		}
		if !skipped {
			t.Errorf("README quick start command %q is neither run by this test (next expected: %q) nor skipped", cmd, steps[min(i, len(steps)-1)].prefix)
		}
	}
	if i < len(steps) {
		t.Fatalf("README quick start: no command %q (in this order) in %q", steps[i].prefix, cmds)
	}

	// After the quick start, the README's administration commands against the running hub.
	for _, prefix := range []string{"mcp-gateway-hub keys create --name", "mcp-gateway-hub users create vera"} {
		var line string
		for _, c := range readmeCommands(whole) {
			if strings.HasPrefix(c, prefix) {
				line = c
				break
			}
		}
		if line == "" {
			t.Errorf("README has no %q", prefix)
			continue
		}
		t.Logf("$ %s", line)
		out := sh(t, fix(line, ""))
		if strings.HasPrefix(prefix, "mcp-gateway-hub keys create") && !strings.Contains(out, "mcpgw_") {
			t.Errorf("%q printed no key:\n%s", line, out)
		}
	}
}
