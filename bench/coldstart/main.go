// Command coldstart measures a hub's cold start (issue 11): the time from starting
// `mcp-gateway-hub serve` until /readyz answers 200, on a SQLite store that holds -keys agent
// keys and -tools tool states, as a hub that has carried a large fleet has. It seeds the
// store once (through hub/store and hub/auth, as enrollment and tool pinning do), then starts
// the hub -runs times on it and prints every time and the median, interleaved with starts of
// an empty store (init only) under the same conditions, and the time until the first
// authenticated request (an MCP initialize with the owner key, whose lookup waits for the
// keys) is answered. With -profile DIR the hub
// of each run writes a CPU profile of its start (MCPGW_CPUPROFILE; the hub is stopped with
// SIGINT as soon as it is ready).
//
//	go build -o /tmp/hub ./hub/cmd/mcp-gateway-hub
//	go run ./bench/coldstart -hub /tmp/hub -keys 10000 -tools 50000
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/profile"
)

func main() {
	bin := flag.String("hub", "", "hub binary (go build ./hub/cmd/mcp-gateway-hub)")
	keys := flag.Int("keys", 10000, "agent keys in the store")
	tools := flag.Int("tools", 50000, "tool states in the store")
	runs := flag.Int("runs", 7, "starts to time")
	data := flag.String("data", "", "a data dir seeded by an earlier run (kept); default a fresh temp dir")
	prof := flag.String("profile", "", "directory for a CPU profile of each start")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-hub is required")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if *data == "" {
		*data = filepath.Join(dir, "data")
	}
	if _, err := os.Stat(filepath.Join(*data, "seeded")); err != nil {
		began := time.Now()
		if err := seed(ctx, *bin, *data, *keys, *tools); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("seeded %d keys and %d tool states in %s\n", *keys, *tools, time.Since(began).Round(time.Millisecond))
	}
	empty := filepath.Join(dir, "empty")
	out, err := exec.CommandContext(ctx, *bin, "init", "--data-dir", empty).CombinedOutput()
	if err != nil {
		log.Fatalf("init: %v\n%s", err, out)
	}
	emptyOwner := keyRE.FindString(string(out))
	owner, err := os.ReadFile(filepath.Join(*data, "owner-key.txt"))
	if err != nil {
		log.Fatal(err)
	}
	var ready, first, emptyReady, emptyFirst []time.Duration
	for i := range *runs {
		env := os.Environ()
		if *prof != "" {
			env = append(env, fmt.Sprintf("%s=%s", profile.EnvCPU, filepath.Join(*prof, fmt.Sprintf("coldstart-%d.pprof", i))))
		}
		r, f, err := start(*bin, dir, *data, string(owner[:len(owner)-1]), env)
		if err != nil {
			log.Fatal(err)
		}
		er, ef, err := start(*bin, dir, empty, emptyOwner, os.Environ())
		if err != nil {
			log.Fatal(err)
		}
		ready, first, emptyReady, emptyFirst = append(ready, r), append(first, f), append(emptyReady, er), append(emptyFirst, ef)
		fmt.Printf("start %d: ready in %s, first authenticated answer %s; empty store: %s, %s\n", i+1, ms(r), ms(f), ms(er), ms(ef))
	}
	fmt.Printf("medians over %d starts: seeded store ready %s, first answer %s; empty store ready %s, first answer %s\n",
		len(ready), median(ready), median(first), median(emptyReady), median(emptyFirst))
}

var keyRE = regexp.MustCompile(`mcpgw_[A-Za-z0-9_-]+`)

func ms(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }

func median(ds []time.Duration) string {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ms(ds[len(ds)/2])
}

// seed makes a data dir with keys enrolled agents and tools tool states (5 per agent, as
// the agents of bench/agentload have).
func seed(ctx context.Context, bin, data string, keys, tools int) error {
	out, err := exec.CommandContext(ctx, bin, "init", "--data-dir", data).CombinedOutput()
	if err != nil {
		return fmt.Errorf("init: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(data, "owner-key.txt"), []byte(keyRE.FindString(string(out))+"\n"), 0o600); err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DataDir: data})
	if err != nil {
		return err
	}
	defer st.Close()
	for i := range keys {
		if _, _, err := auth.EnrollAgent(ctx, st, fmt.Sprintf("load%05d", i+1)); err != nil {
			return err
		}
	}
	perAgent := max(1, tools/max(1, keys))
	for i := range tools {
		ts := &store.ToolState{Agent: fmt.Sprintf("load%05d", i/perAgent+1), Backend: "canned",
			Tool: fmt.Sprintf("tool_%d", i%perAgent), Status: store.ToolPinned, PinnedHash: fmt.Sprintf("%064x", i)}
		if err := st.PutToolState(ctx, ts); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(data, "seeded"), nil, 0o600)
}

// start runs the hub until /readyz answers 200, then until an MCP initialize with the owner
// key is answered 200, and returns how long each took from the start.
func start(bin, dir, data, owner string, env []string) (ready, first time.Duration, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logf, err := os.Create(filepath.Join(dir, "hub.log"))
	if err != nil {
		return 0, 0, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "serve", "--data-dir", data, "--listen", addr)
	cmd.Stdout, cmd.Stderr, cmd.Env = logf, logf, env
	client := &http.Client{Timeout: time.Second}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	for ready == 0 && time.Since(began) < time.Minute {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = time.Since(began)
				break
			}
		}
		time.Sleep(time.Millisecond) // polling: the hub has no event to wait on from outside
	}
	if ready == 0 {
		out, _ := os.ReadFile(filepath.Join(dir, "hub.log"))
		return 0, 0, fmt.Errorf("hub not ready within a minute:\n%s", out)
	}
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"coldstart","version":"1"}}}`
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+owner)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("initialize: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("initialize: HTTP %d", resp.StatusCode)
	}
	return ready, time.Since(began), nil
}
