package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.toml")
	os.WriteFile(path, []byte(`
listen = "127.0.0.1:4000"
page_size = 50
[[backends]]
name = "everything"
transport = "http"
url = "http://127.0.0.1:3001/mcp"
startup_timeout = "2m"
`), 0o600)
	t.Setenv("MCPGW_DATA_DIR", dir)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:4000" || c.PageSize != 50 || c.DataDir != dir || len(c.Backends) != 1 || c.Backends[0].StartupTimeout != 2*time.Minute {
		t.Fatalf("loaded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// An unknown setting is refused and named, every one of them, each with the known setting of
// its table it most likely misspells; one far from any known key gets no guess.
func TestLoadRejectsUnknownSetting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.toml")
	os.WriteFile(path, []byte("lisen = \"x\"\n[limits]\nzzz = 1\n[[backends]]\nname = \"fs\"\ncomand = \"npx\"\n"), 0o600)
	_, err := Load(path)
	if err == nil {
		t.Fatal("unknown settings accepted")
	}
	for _, want := range []string{`unknown settings`, `"lisen" (did you mean "listen"?)`, `"limits.zzz"`,
		`"backends.comand" (did you mean "command"?)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	if strings.Contains(err.Error(), `"limits.zzz" (did you mean`) {
		t.Errorf("error %q guesses for a key near nothing", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string // "" = valid
	}{
		{"defaults", func(*Config) {}, ""},
		{"anonymous on loopback", func(c *Config) { c.AnonymousRole = "owner" }, ""},
		{"anonymous on localhost", func(c *Config) { c.Listen = "localhost:1"; c.AnonymousRole = "owner" }, ""},
		{"anonymous on public", func(c *Config) { c.Listen = "0.0.0.0:3200"; c.AnonymousRole = "owner" }, "not a loopback"},
		{"anonymous behind a proxy", func(c *Config) { c.AnonymousRole = "viewer"; c.PublicURL = "https://mcp.example.com" }, "reached from the network"},
		{"public url without anonymous", func(c *Config) { c.PublicURL = "https://mcp.example.com" }, ""},
		{"anonymous with trusted proxies", func(c *Config) { c.AnonymousRole = "viewer"; c.TrustedProxies = []string{"127.0.0.1"} }, "trusted_proxies"},
		{"trusted proxies", func(c *Config) { c.TrustedProxies = []string{"127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"} }, ""},
		{"bad trusted proxy", func(c *Config) { c.TrustedProxies = []string{"proxy.example.com"} }, "neither an IP address nor a CIDR prefix"},
		{"bad listen", func(c *Config) { c.Listen = "3200" }, "host:port"},
		{"half tls", func(c *Config) { c.TLSCert = "a.pem" }, "together"},
		{"mysql url", func(c *Config) { c.DatabaseURL = "mysql://x" }, "postgres"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.mod(&c)
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

func TestHosts(t *testing.T) {
	c := Default()
	if h := c.Hosts(); len(h) != 3 {
		t.Fatalf("loopback hosts: %v", h)
	}
	// Behind a reverse proxy on this machine, the public name is one of the hub's names.
	c.PublicURL = "https://mcp.example.com/gateway"
	if h := c.Hosts(); !HostAllowed(h, "mcp.example.com") || !HostAllowed(h, "localhost:3200") || HostAllowed(h, "evil.example") {
		t.Fatalf("loopback hosts with public_url: %v", h)
	}
	c.Listen = "0.0.0.0:3200"
	if h := c.Hosts(); h != nil {
		t.Fatalf("public listen should accept any host, got %v", h)
	}
}

func TestHostAllowed(t *testing.T) {
	allowed := []string{"localhost", "127.0.0.1", "::1", "hub.example.com"}
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:3200": true, "127.0.0.1:1": true, "[::1]:3200": true, "[::1]": true,
		"hub.example.com": true, "Hub.Example.Com:443": true,
		"evil.example": false, "127.0.0.2": false, "hub.example.com.evil.example": false, "": false, "localhost.": false,
	} {
		if got := HostAllowed(allowed, host); got != want {
			t.Errorf("HostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
	if !HostAllowed(nil, "anything.example") {
		t.Error("no list must accept any host")
	}
}

func TestGroupsValidate(t *testing.T) {
	ok := Default()
	ok.Groups = []Group{{Name: "fs", Agents: []string{"laptop"}}, {Name: "readers", Risks: []string{"read"}, Tools: []string{"*__read*"}}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid groups: %v", err)
	}
	for _, gs := range [][]Group{
		{{Name: "fs", Agents: []string{"a"}}, {Name: "fs", Agents: []string{"b"}}},
		{{Name: "Upper", Agents: []string{"a"}}},
		{{Name: "none"}},
		{{Name: "g", Tools: []string{"[x"}}},
		{{Name: "g", Risks: []string{"spicy"}}},
		{{Name: "g", Backends: []string{"a/b/c"}}},
	} {
		c := Default()
		c.Groups = gs
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "groups[") {
			t.Errorf("groups %+v: %v", gs, err)
		}
	}
}
