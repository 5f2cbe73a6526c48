package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestCallsDefaultsAndFile(t *testing.T) {
	d := Default()
	if err := d.Calls.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if d.Calls.Timeout.Duration != 5*time.Minute || d.Calls.MaxConcurrent != 64 || d.Calls.MaxQueue != 256 ||
		d.Calls.BreakerFailures != 5 || d.Calls.BreakerCooldown.Duration != 30*time.Second {
		t.Errorf("defaults %+v", d.Calls)
	}
	path := filepath.Join(t.TempDir(), "hub.toml")
	text := "[calls]\ntimeout = \"90s\"\nmax_queue = 0\n\n[[backends]]\nname = \"slow\"\ntransport = \"stdio\"\ncommand = \"x\"\ntimeout = \"2s\"\nmax_concurrent = 1\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Calls.Timeout.Duration != 90*time.Second || c.Calls.MaxQueue != 0 || c.Calls.MaxConcurrent != 64 {
		t.Errorf("[calls] %+v", c.Calls)
	}
	if b := c.Backends[0]; b.Timeout != 2*time.Second || b.MaxConcurrent != 1 {
		t.Errorf("backend bounds %+v", b)
	}
}

func TestCallsValidate(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Calls)
		want string
	}{
		{func(c *Calls) { c.Timeout.Duration = 0 }, "calls.timeout"},
		{func(c *Calls) { c.MaxConcurrent = 0 }, "calls.max_concurrent"},
		{func(c *Calls) { c.MaxQueue = -1 }, "calls.max_queue"},
		{func(c *Calls) { c.BreakerFailures = 0 }, "calls.breaker_failures"},
		{func(c *Calls) { c.BreakerCooldown.Duration = 0 }, "calls.breaker_cooldown"},
	} {
		calls := defaultCalls()
		c.mod(&calls)
		if err := calls.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// The [calls] block of docs/LIMITS.md shows exactly the defaults.
func TestCallsDocShowsDefaults(t *testing.T) {
	raw, err := os.ReadFile("../../docs/LIMITS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "```toml\n[calls]\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/LIMITS.md has no ```toml [calls] block")
	}
	var doc Config
	md, err := toml.Decode("[calls]\n"+block, &doc)
	if err != nil {
		t.Fatalf("the block does not load: %v", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		t.Fatalf("the block has unknown settings: %v", und)
	}
	if def := defaultCalls(); doc.Calls != def {
		t.Errorf("docs/LIMITS.md shows\n%+v\nthe code's defaults are\n%+v", doc.Calls, def)
	}
}
