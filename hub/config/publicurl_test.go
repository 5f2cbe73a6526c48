package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPublicURL(t *testing.T) {
	cases := []struct {
		url  string
		want string // "" = valid
	}{
		{"", ""},
		{"https://mcp.example.com", ""},
		{"https://mcp.example.com/", ""},
		{"https://example.com/gateway", ""},
		{"http://127.0.0.1:3200", ""},
		{"http://[::1]:3200", ""},
		{"mcp.example.com", "absolute http"},
		{"ftp://mcp.example.com", "absolute http"},
		{"https://", "absolute http"},
		{"https://user@mcp.example.com", "user, a query"},
		{"https://mcp.example.com/?x=1", "user, a query"},
		{"https://mcp.example.com/#top", "user, a query"},
		{"https://mcp.example.com/a'b", "only letters"},
		{"https://mcp.example.com/$(id)", "only letters"},
		{"https://mcp.example.com/a`b", "only letters"},
	}
	for _, tc := range cases {
		t.Run(tc.url, func(t *testing.T) {
			c := Default()
			c.PublicURL = tc.url
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "public_url") {
				t.Fatalf("want an error naming public_url and %q, got %v", tc.want, err)
			}
		})
	}
}

func TestPublicURLFromFileAndEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.toml")
	os.WriteFile(path, []byte("public_url = \"https://file.example.com\"\ntrust_forwarded_proto = true\n"), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://file.example.com" || !c.TrustForwardedProto {
		t.Fatalf("from the file: %+v", c)
	}
	t.Setenv("MCPGW_PUBLIC_URL", "https://env.example.com")
	if c, err = Load(path); err != nil || c.PublicURL != "https://env.example.com" {
		t.Fatalf("the environment overrides the file: %q %v", c.PublicURL, err)
	}
}
