package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

func TestLimitsFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.toml")
	os.WriteFile(path, []byte(`
[limits]
max_connections_per_address = 0
idle_timeout = "30s"
key_rate = 5
key_burst = 10
[limits.key_rates.k-ci]
rate = 0
[limits.application_rates.cursor]
rate = 50
burst = 100
`), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Limits
	if l.MaxConnectionsPerAddress != 0 || l.IdleTimeout.Duration != 30*time.Second || l.KeyRate != 5 || l.KeyBurst != 10 ||
		l.ApplicationRates["cursor"] != (Rate{50, 100}) || l.KeyRates["k-ci"] != (Rate{}) {
		t.Fatalf("loaded %+v", l)
	}
	if l.MaxConnections != 10000 || l.SessionIdle.Duration != time.Hour {
		t.Fatalf("unset settings lost their defaults: %+v", l)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLimitsValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Limits)
		want string
	}{
		{"defaults", func(*Limits) {}, ""},
		{"all off", func(l *Limits) {
			l.MaxConnections, l.MaxConnectionsPerAddress, l.MaxSessionsPerKey, l.MaxListensPerKey = 0, 0, 0, 0
			l.KeyRate, l.ApplicationRate = 0, 0
			l.AgentHandshakesPerSecond, l.MaxConcurrentAgentHandshakes = 0, 0
		}, ""},
		{"negative handshake rate", func(l *Limits) { l.AgentHandshakesPerSecond = -2 }, "limits.agent_handshakes_per_second -2 is negative"},
		{"negative handshake cap", func(l *Limits) { l.MaxConcurrentAgentHandshakes = -1 }, "limits.max_concurrent_agent_handshakes -1 is negative"},
		{"negative cap", func(l *Limits) { l.MaxSessionsPerKey = -1 }, "limits.max_sessions_per_key -1 is negative"},
		{"per address above total", func(l *Limits) { l.MaxConnections = 10 }, "above limits.max_connections"},
		{"zero idle", func(l *Limits) { l.IdleTimeout = Duration{} }, "limits.idle_timeout"},
		{"unused longer than idle", func(l *Limits) { l.SessionIdleUnused = Duration{2 * time.Hour} }, "session_idle_unused"},
		{"rate without burst", func(l *Limits) { l.KeyBurst = 0 }, "limits.key_rate 100 has burst 0"},
		{"negative rate", func(l *Limits) { l.ApplicationRate = -1 }, "limits.application_rate -1 is negative"},
		{"bad override", func(l *Limits) { l.KeyRates = map[string]Rate{"k1": {Rate: 3}} }, `limits.key_rates."k1"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mod(&c.Limits)
			err := c.Validate()
			if tc.want == "" && err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
}

// The [limits] block of docs/LIMITS.md shows the defaults: it must load, and apart from
// its example overrides say exactly what Default says.
func TestLimitsDocShowsDefaults(t *testing.T) {
	raw, err := os.ReadFile("../../docs/LIMITS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "```toml\n[limits]\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/LIMITS.md has no ```toml [limits] block")
	}
	var doc Config // zero: a setting missing from the block would show as a difference
	md, err := toml.Decode("[limits]\n"+block, &doc)
	if err != nil {
		t.Fatalf("the block does not load: %v", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		t.Fatalf("the block has unknown settings: %v", und)
	}
	if len(doc.Limits.KeyRates) == 0 || len(doc.Limits.ApplicationRates) == 0 {
		t.Error("the block lost its override examples")
	}
	doc.Limits.KeyRates, doc.Limits.ApplicationRates = nil, nil
	if def := defaultLimits(); !reflect.DeepEqual(doc.Limits, def) {
		t.Errorf("docs/LIMITS.md shows\n%+v\nthe code's defaults are\n%+v", doc.Limits, def)
	}
}
