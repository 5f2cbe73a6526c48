package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// consoleUsers are the users the browser tests sign in as, one per built-in role.
var consoleUsers = []string{"owner", "operator", "viewer"}

// consoleResult is one browser test's outcome, a {"result": …} line of e2e/console/run.mjs.
type consoleResult struct {
	Name  string   `json:"name"`
	OK    bool     `json:"ok"`
	Error string   `json:"error"`
	Logs  []string `json:"logs"`
	MS    int64    `json:"ms"`
	Notes []string `json:"notes"` // figures the test measured, for the log
}

// consoleAsk is a request of a browser test to this side: {"ask": {what, args}}.
type consoleAsk struct {
	What string          `json:"what"`
	Args json.RawMessage `json:"args"`
}

// TestConsole runs the web console's browser tests (e2e/console/*.spec.mjs) in headless
// Chromium against a real hub with a real agent ("laptop", server-everything and
// server-filesystem) and a hub-local server-everything. CONSOLE_SPECS and CONSOLE_RUN
// narrow what runs; CONSOLE_SHOTS=docs writes the screenshots into docs/console.
func TestConsole(t *testing.T) {
	node := nodeBin(t)
	root := repoRoot(t)
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	for _, need := range []string{chromium, filepath.Join(root, "e2e", "node_modules", "playwright-core", "package.json"),
		filepath.Join(root, "e2e", "node_modules", "axe-core", "axe.min.js")} {
		if _, err := os.Stat(need); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: run e2e/setup.sh", need)
			}
			t.Skipf("%s is missing: run e2e/setup.sh", need)
		}
	}
	m := startMesh(t)
	users := map[string]map[string]string{}
	for _, role := range consoleUsers {
		name, pass := "console-"+role, "pw-"+role+"-"+fmt.Sprint(time.Now().UnixNano())
		consoleAPI(t, m, "POST", "/users", map[string]any{"name": name, "role": role, "password": pass}, http.StatusCreated)
		users[role] = map[string]string{"name": name, "password": pass}
	}
	shots := t.TempDir()
	if os.Getenv("CONSOLE_SHOTS") == "docs" {
		shots = filepath.Join(root, "docs", "console")
	}
	cfg, _ := json.Marshal(map[string]any{"url": m.hub.URL, "ui": m.hub.URL + "/ui/", "users": users,
		"ownerKey": m.hub.OwnerKey, "shots": shots})

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(root, "e2e", "console", "run.mjs"))
	cmd.Env = append(os.Environ(), "CONSOLE_CONFIG="+string(cfg), "CHROMIUM="+chromium)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var results []consoleResult
	var mu sync.Mutex
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Result *consoleResult `json:"result"`
			Ask    *consoleAsk    `json:"ask"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Logf("run.mjs: %s", sc.Text())
			continue
		}
		switch {
		case line.Result != nil:
			mu.Lock()
			results = append(results, *line.Result)
			mu.Unlock()
		case line.Ask != nil:
			res, err := consoleAnswer(t, m, *line.Ask)
			reply := map[string]any{"result": res}
			if err != nil {
				reply = map[string]any{"error": err.Error()}
			}
			b, _ := json.Marshal(reply)
			_, _ = stdin.Write(append(b, '\n'))
		}
	}
	_ = stdin.Close()
	err := cmd.Wait()
	if len(results) == 0 {
		t.Fatalf("run.mjs ran no test: %v\n%s", err, stderr.String())
	}
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) {
			t.Logf("%s: %d ms", r.Name, r.MS)
			for _, n := range r.Notes {
				t.Log(n)
			}
			if !r.OK {
				t.Errorf("%s\n%s", r.Error, strings.Join(r.Logs, "\n"))
			}
		})
	}
	if err != nil {
		t.Errorf("run.mjs: %v\n%s", err, stderr.String())
	}
}

// consoleAnswer does what a browser test asks of the Go side.
//
//	start-agent {id, key}: runs a real agent with that id and key and server-everything;
//	  answers once the hub lists the agent's echo tool.
func consoleAnswer(t *testing.T, m *mesh, a consoleAsk) (any, error) {
	switch a.What {
	case "start-agent":
		var args struct{ ID, Key string }
		if err := json.Unmarshal(a.Args, &args); err != nil || args.ID == "" || args.Key == "" {
			return nil, fmt.Errorf("start-agent wants {id, key}: %s", a.Args)
		}
		conf := filepath.Join(t.TempDir(), "config.toml")
		body := fmt.Sprintf("[agent]\nagent_id = %q\ngateway_url = %q\napi_key = %q\n\n[[backends]]\nname = \"everything\"\ntransport = \"stdio\"\ncommand = %q\n",
			args.ID, m.hub.AgentURL(), args.Key, npmBin(t, "mcp-server-everything"))
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			return nil, err
		}
		start(t, nil, m.agentBin, "run", "--headless", "--config", conf)
		return map[string]string{"started": args.ID}, nil
	}
	return nil, fmt.Errorf("unknown ask %q", a.What)
}

// consoleAPI calls the REST API with the owner's key and wants status.
func consoleAPI(t *testing.T, m *mesh, method, path string, body any, want int) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, m.hub.URL+"/api/v1"+path, rd)
	req.Header.Set("Authorization", "Bearer "+m.hub.OwnerKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s (want %d)", method, path, resp.StatusCode, out, want)
	}
	return out
}
