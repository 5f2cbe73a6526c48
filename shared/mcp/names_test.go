package mcp

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"create_issue": "create_issue",
		"a-b_C9":       "a-b_C9",
		"files.read":   "files_read",
		"my tool/x":    "my_tool_x",
		"café":         "caf_",
		"日本":           "__",
		"bad\xffbyte":  "bad_byte",
		"":             "",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJoin(t *testing.T) {
	long := strings.Repeat("t", 70)
	tests := []struct {
		parts []string
		want  string
	}{
		{[]string{"github", "create_issue"}, "github__create_issue"},
		{[]string{"laptop", "github", "create_issue"}, "laptop__github__create_issue"},
		{[]string{"my laptop", "gh.com", "créer"}, "my_laptop__gh_com__cr_er"},
		{[]string{"b", long}, "b__" + long[:52] + "_" + shortHash("b__"+long)},
		{[]string{}, ""},
	}
	for _, tt := range tests {
		got := Join(tt.parts...)
		if got != tt.want {
			t.Errorf("Join(%q) = %q, want %q", tt.parts, got, tt.want)
		}
		if len(got) > MaxNameLen {
			t.Errorf("Join(%q) is %d bytes long", tt.parts, len(got))
		}
	}
	// Exactly 64 is kept; 65 is shortened, and two long names sharing their head differ.
	n64 := strings.Repeat("a", 60)
	if got := Join("b", n64[:59]); got != "b__"+n64[:59] {
		t.Errorf("64-byte name changed: %q", got)
	}
	x, y := Join("b", n64+"x"), Join("b", n64+"y")
	if x == y || len(x) != MaxNameLen || x[:headLen] != y[:headLen] {
		t.Errorf("long names: %q and %q", x, y)
	}
}

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{
		"get_weather":           true,
		"a-b":                   true,
		"x":                     true,
		"":                      false,
		"files.read":            false, // dots break some LLM APIs' tool-name pattern
		"a b":                   false,
		"ünï":                   false,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
	} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v", s, got)
		}
	}
}

func TestDisambiguate(t *testing.T) {
	a, b := Disambiguate("fs__read", "a\x00fs\x00read"), Disambiguate("fs__read", "b\x00fs\x00read")
	if a == b || !strings.HasPrefix(a, "fs__read_") || len(a) != len("fs__read_")+hashLen {
		t.Errorf("Disambiguate: %q, %q", a, b)
	}
	long := Disambiguate(strings.Repeat("n", 64), "k")
	if len(long) != MaxNameLen || !ValidName(long) {
		t.Errorf("Disambiguate(long) = %q", long)
	}
}

func TestURI(t *testing.T) {
	tests := []struct {
		prefix, uri, want string
	}{
		{"fs", "file:///etc/hosts", "mcpgw://fs/file:///etc/hosts"},
		{"laptop__fs", "file:///home/{user}/{+path}", "mcpgw://laptop__fs/file:///home/{user}/{+path}"},
		{"gw", "mcpgw://inner/x", "mcpgw://gw/mcpgw://inner/x"},
		{"p", "", "mcpgw://p/"},
	}
	for _, tt := range tests {
		got := PrefixURI(tt.prefix, tt.uri)
		if got != tt.want {
			t.Errorf("PrefixURI(%q, %q) = %q", tt.prefix, tt.uri, got)
		}
		p, u, ok := SplitURI(got)
		if !ok || p != tt.prefix || u != tt.uri {
			t.Errorf("SplitURI(%q) = %q, %q, %v", got, p, u, ok)
		}
	}
	for _, bad := range []string{"file:///x", "mcpgw://", "mcpgw://noslash", "mcpgw:///x", "MCPGW://p/x"} {
		if p, u, ok := SplitURI(bad); ok {
			t.Errorf("SplitURI(%q) = %q, %q, true", bad, p, u)
		}
	}
}
