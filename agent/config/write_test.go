package config

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// Every testdata/valid/X.toml, written back, matches testdata/write/X.toml and loads as the
// same config (unknown keys included).
func TestMarshalGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.toml")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "write", filepath.Base(file))
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("written config differs from %s:\n%s", golden, got)
			}
			again := Defaults()
			if err := again.Parse(string(got)); err != nil {
				t.Fatalf("written config does not parse: %v\n%s", err, got)
			}
			again.Path, again.raw, cfg.raw = cfg.Path, nil, nil
			if !reflect.DeepEqual(again, cfg) {
				t.Errorf("round trip changed the config:\n got %+v\nwant %+v", again, cfg)
			}
		})
	}
}

func TestWriteModesAndAtomicity(t *testing.T) {
	home := t.TempDir()
	t.Setenv(EnvHome, filepath.Join(home, "agent-home"))
	path, _ := ConfigPath()
	cfg := Defaults()
	cfg.Agent = Agent{AgentID: "box", GatewayURL: "ws://127.0.0.1:1/agent/ws", APIKey: "mcpgw_x", LogLevel: "info"}
	if err := cfg.Write(path); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Write(path); err != nil { // over an existing file
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		st, _ := os.Stat(path)
		if st.Mode().Perm() != 0o600 {
			t.Errorf("config mode %v, want 0600", st.Mode().Perm())
		}
		dst, _ := os.Stat(filepath.Dir(path))
		if dst.Mode().Perm() != 0o700 {
			t.Errorf("home mode %v, want 0700", dst.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want only config.toml (no temporary files left)", entries)
	}
	loaded, err := Load(path, noEnv, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Agent.APIKey != "mcpgw_x" || loaded.Agent.AgentID != "box" {
		t.Errorf("loaded %+v", loaded.Agent)
	}
	text, _ := os.ReadFile(path)
	if !strings.Contains(string(text), "tls_skip_verify = false") || strings.Contains(string(text), "log_level") {
		t.Errorf("want tls_skip_verify written and the default log_level left out:\n%s", text)
	}
}

func TestWriteKeepsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real.toml")
	link := filepath.Join(dir, "config.toml")
	os.WriteFile(real, []byte("[agent]\nagent_id = \"a\"\n"), 0o600)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadFile(link)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Agent.AgentID = "b"
	if err := cfg.Write(link); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Error("config.toml is no longer a symlink")
	}
	if b, _ := os.ReadFile(real); !strings.Contains(string(b), `agent_id = "b"`) {
		t.Errorf("target not updated:\n%s", b)
	}
}

func TestReadOrDefaults(t *testing.T) {
	cfg, err := ReadOrDefaults(filepath.Join(t.TempDir(), "none.toml"))
	if err != nil || cfg.Agent.LogLevel != "info" {
		t.Fatalf("missing file: %+v, %v", cfg, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[agent\n"), 0o600)
	if _, err := ReadOrDefaults(bad); err == nil {
		t.Fatal("a file that does not parse gave no error")
	}
}

func TestQuoteKey(t *testing.T) {
	for in, want := range map[string]string{"env": "env", "a.b": `"a.b"`, `q"`: `"q\""`, "": `""`, "x\n": `"x\u000A"`} {
		if got := quoteKey(in); got != want {
			t.Errorf("quoteKey(%q) = %s, want %s", in, got, want)
		}
	}
}
