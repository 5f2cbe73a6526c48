package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	plain := write("plain.toml", "default = \"allow\"\n[[rules]]\nname = \"a\"\neffect = \"deny\"\ntools = [\"x\"]\n")
	p, err := LoadPolicy(plain)
	if err != nil || p.Len() != 1 || p.NeedsArguments() {
		t.Fatalf("plain: %v %+v", err, p)
	}
	conds := write("conds.toml", "default = \"deny\"\n[[rules]]\nname = \"a\"\neffect = \"allow\"\nwhen = [{ arg = \"path\", under = \"/tmp\" }]\n")
	if p, err := LoadPolicy(conds); err != nil || !p.NeedsArguments() {
		t.Fatalf("conditions: %v %+v", err, p)
	}
	bad := write("bad.toml", "default = \"allow\"\n[[rules]]\nname = \"a\"\neffect = \"permit\"\n")
	for _, f := range []string{bad, filepath.Join(dir, "missing.toml")} {
		if _, err := LoadPolicy(f); err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("%s: error %v does not name the file", f, err)
		}
	}
}
