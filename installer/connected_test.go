package installer

import (
	"bufio"
	"context"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// serveOnce answers one control-socket request with reply, after checking it asks for a
// snapshot.
func serveOnce(t *testing.T, reply string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the control socket is a named pipe on windows")
	}
	path := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		if strings.TrimSpace(line) != `{"op":"snapshot"}` {
			c.Write([]byte(`{"error":"unexpected request ` + strings.TrimSpace(line) + `"}` + "\n"))
			return
		}
		c.Write([]byte(reply + "\n"))
	}()
	return path
}

func TestQueryConnection(t *testing.T) {
	ctx := context.Background()
	c := QueryConnection(ctx, serveOnce(t, `{"version":"1.0","hubUrl":"wss://h/agent/ws","state":"connected"}`))
	if c.State != "connected" || c.HubURL != "wss://h/agent/ws" {
		t.Errorf("bare snapshot: %+v", c)
	}
	c = QueryConnection(ctx, serveOnce(t, `{"snapshot":{"state":"refused","refusal":"revoked key"}}`))
	if c.State != "refused" || c.Refusal != "revoked key" {
		t.Errorf("wrapped snapshot: %+v", c)
	}
	for reply, want := range map[string]string{`not json`: "not JSON", `{"other":1}`: "no state", `{"error":"busy"}`: "agent: busy"} {
		c = QueryConnection(ctx, serveOnce(t, reply))
		if c.State != "unknown" || !strings.Contains(c.Detail, want) {
			t.Errorf("reply %q: %+v, want unknown with %q", reply, c, want)
		}
	}
	c = QueryConnection(ctx, filepath.Join(t.TempDir(), "none.sock"))
	if c.State != "unknown" || !strings.Contains(c.Detail, "no control socket") {
		t.Errorf("no socket: %+v", c)
	}
}

func FuzzParseSnapshot(f *testing.F) {
	for _, s := range []string{`{"state":"connected"}`, `{"snapshot":{"state":"refused"}}`, `{"error":"x"}`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseSnapshot(b)
		if err == nil && c.State == "" {
			t.Fatalf("no error and no state for %q", b)
		}
	})
}
