package backend

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

func TestConfigFromTOML(t *testing.T) {
	var file struct{ Backends []Config }
	if _, err := toml.DecodeFile("testdata/backends.toml", &file); err != nil {
		t.Fatal(err)
	}
	want := []Config{
		{Name: "github", Transport: "stdio", Command: "npx", Args: []string{"-y", "@modelcontextprotocol/server-github"},
			Naming: "prefixed", Env: map[string]string{"GITHUB_TOKEN": "ghp_test"}},
		{Name: "remote", Transport: "http", URL: "https://mcp.example.com/mcp", Naming: "auto",
			Headers: map[string]string{"Authorization": "Bearer abc"}},
		{Name: "old-sse", Transport: "sse", URL: "http://127.0.0.1:3001/sse"},
		{Name: "pinned", Transport: "http", URL: "http://127.0.0.1:3002/mcp", Era: "legacy"},
		{Name: "bounded", Transport: "stdio", Command: "slow-server", Timeout: 30 * time.Second, MaxConcurrent: 4, MaxQueue: 8},
	}
	if !reflect.DeepEqual(file.Backends, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", file.Backends, want)
	}
	if _, err := NewSet(file.Backends, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestValidate(t *testing.T) {
	stdio := func(name string) Config { return Config{Name: name, Transport: "stdio", Command: "x"} }
	cases := []struct {
		cfg  Config
		want string // "" means valid
	}{
		{stdio("fs"), ""},
		{stdio("a"), ""},
		{stdio("A9_b-c"), ""},
		{stdio(strings.Repeat("a", 32)), ""},
		{stdio(strings.Repeat("a", 33)), "1-32 characters"},
		{stdio(""), "name is required"},
		{stdio("_fs"), "start with a letter"},
		{stdio("my__fs"), `"__"`},
		{stdio("a.b"), "[A-Za-z0-9_-]"},
		{Config{Name: "fs", Transport: "stdio"}, `backend "fs": transport stdio needs a command`},
		{Config{Name: "w", Transport: "http"}, `backend "w": transport http needs a url`},
		{Config{Name: "w", Transport: "sse", URL: "ftp://x"}, "must start with http"},
		{Config{Name: "w", Transport: "http", URL: "https://x/mcp"}, ""},
		{Config{Name: "w"}, "transport is required"},
		{Config{Name: "w", Transport: "ws", URL: "http://x"}, `unknown transport "ws"`},
		{Config{Name: "w", Transport: "sse", URL: "http://x", Naming: "short"}, "unknown naming"},
		{Config{Name: "w", Transport: "sse", URL: "http://x", Session: "per-client"}, "not supported yet"},
		{Config{Name: "w", Transport: "sse", URL: "http://x", Session: "shared"}, ""},
		{Config{Name: "w", Transport: "http", URL: "http://x", Era: "legacy"}, ""},
		{Config{Name: "w", Transport: "http", URL: "http://x", Era: "auto"}, ""},
		{Config{Name: "w", Transport: "http", URL: "http://x", Era: "2026"}, "unknown era"},
		{Config{Name: "fs", Transport: "stdio", Command: "x", MaxMessageBytes: 1 << 30}, ""},
		{Config{Name: "fs", Transport: "stdio", Command: "x", MaxMessageBytes: -1}, "max_message_bytes must not be negative"},
		{Config{Name: "w", Transport: "http", URL: "http://x", Timeout: time.Second, MaxConcurrent: 1, MaxQueue: 0}, ""},
		{Config{Name: "w", Transport: "http", URL: "http://x", Timeout: -time.Second}, "timeout -1s"},
		{Config{Name: "w", Transport: "http", URL: "http://x", Timeout: time.Microsecond}, "at least 1ms"},
		{Config{Name: "w", Transport: "http", URL: "http://x", MaxConcurrent: -1}, "max_concurrent -1"},
		{Config{Name: "w", Transport: "http", URL: "http://x", MaxQueue: -2}, "max_queue -2"},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: unexpected %v", c.cfg, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: got %v, want %q", c.cfg, err, c.want)
		}
	}
}

// The limits set in a backend's entry are published in its snapshot, for the hub to enforce.
func TestLimitsInSnapshot(t *testing.T) {
	none := Config{Name: "fs", Transport: "stdio", Command: "x"}
	if got := New(none, Options{}).Snapshot().Limits; got != nil {
		t.Errorf("no limits set: snapshot has %+v", got)
	}
	set := none
	set.Timeout, set.MaxConcurrent = 1500*time.Millisecond, 2
	want := protocol.Limits{TimeoutMs: 1500, MaxConcurrent: 2}
	if got := New(set, Options{}).Snapshot().Limits; got == nil || *got != want {
		t.Errorf("snapshot limits %+v, want %+v", got, want)
	}
}

func TestSetRefusals(t *testing.T) {
	ok := Config{Name: "fs", Transport: "stdio", Command: "x"}
	if _, err := NewSet([]Config{ok, ok}, Options{}); err == nil || !strings.Contains(err.Error(), "declared twice") {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := NewSet([]Config{{Name: "bad name"}}, Options{}); err == nil {
		t.Error("invalid entry accepted")
	}
	set, err := NewSet([]Config{ok}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Call(context.Background(), "nope", &Call{Request: toolCall(t, 1, "x", nil, nil)}); !errors.Is(err, ErrUnknownBackend) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown backend: %v", err)
	}
	// Not running yet: refused at once, not left hanging.
	_, err = set.Call(context.Background(), "fs", &Call{Request: toolCall(t, 1, "x", nil, nil)})
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), `backend "fs" is not ready (starting)`) {
		t.Errorf("not ready: %v", err)
	}
}
