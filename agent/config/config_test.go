package config

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/valid")

func noEnv(string) (string, bool) { return "", false }

// Every testdata/valid/X.toml loads and matches X.golden (the config as JSON).
func TestValidGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.toml")
	if len(files) == 0 {
		t.Fatal("no testdata/valid/*.toml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := Load(file, noEnv, Flags{})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			got, err := json.MarshalIndent(cfg, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(file, ".toml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("config differs from %s:\n%s", golden, got)
			}
		})
	}
}

// Every testdata/invalid/X.toml fails with an error containing each line of X.err.
func TestInvalidGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.toml")
	if len(files) == 0 {
		t.Fatal("no testdata/invalid/*.toml")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want, err := os.ReadFile(strings.TrimSuffix(file, ".toml") + ".err")
			if err != nil {
				t.Fatal(err)
			}
			_, err = Load(file, noEnv, Flags{})
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
				if !strings.Contains(err.Error(), line) {
					t.Errorf("error lacks %q:\n%v", line, err)
				}
			}
		})
	}
}

// Defaults, then file, then environment, then flags.
func TestPrecedence(t *testing.T) {
	env := map[string]string{EnvAgentID: "from-env", EnvAPIKey: "mcpgw_env"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := Load("testdata/valid/minimal.toml", getenv, Flags{GatewayURL: "wss://flag.example/agent/ws", LogLevel: "warn"})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Agent
	if a.AgentID != "from-env" || a.APIKey != "mcpgw_env" {
		t.Errorf("environment did not override the file: %+v", a)
	}
	if a.GatewayURL != "wss://flag.example/agent/ws" || a.LogLevel != "warn" {
		t.Errorf("flags did not apply: %+v", a)
	}
	env[EnvGatewayURL] = "ws://env.example/agent/ws"
	cfg, _ = Load("testdata/valid/minimal.toml", getenv, Flags{AgentID: "from-flag"})
	if cfg.Agent.GatewayURL != "ws://env.example/agent/ws" || cfg.Agent.AgentID != "from-flag" {
		t.Errorf("flag must beat environment, environment the file: %+v", cfg.Agent)
	}
	if Defaults().Agent.LogLevel != "info" {
		t.Error("default log level is not info")
	}
}

// A missing default file is fine when the environment says everything; a missing explicit
// file is an error.
func TestMissingFile(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	env := map[string]string{EnvAgentID: "a", EnvGatewayURL: "ws://h/agent/ws", EnvAPIKey: "k"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := Load("", getenv, Flags{})
	if err != nil || cfg.Path != "" {
		t.Fatalf("default path missing: %v %+v", err, cfg)
	}
	_, err = Load("", noEnv, Flags{})
	if err == nil || !strings.Contains(err.Error(), "no config file at") {
		t.Errorf("want a hint about the missing default file, got %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope.toml"), getenv, Flags{}); err == nil {
		t.Error("explicit missing file accepted")
	}
}

func TestUnknownKeysAreReported(t *testing.T) {
	cfg, err := Load("testdata/valid/proxy_and_unknown.toml", noEnv, Flags{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(cfg.Unknown, ",")
	if got != "agent.telemetry,backends.colour" {
		t.Errorf("unknown keys = %q", got)
	}
}

// A misspelt key is not an error by itself (a config of a newer agent loads), but when the
// config does not validate the keys not understood are named with the key they likely
// misspell, since the typo is the likely cause; a valid config with one does not fail.
func TestUnknownKeyNamedInValidationError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(path, []byte(`[agent]
agent_id = "box"
gateway_url = "ws://127.0.0.1:3200/agent/ws"
api_key = "mcpgw_x"
auto_updat = false

[[backends]]
name = "fs"
transport = "stdio"
comand = "npx"
`), 0o600)
	_, err := Load(path, noEnv, Flags{})
	if err == nil {
		t.Fatal("a stdio backend without its command loaded")
	}
	for _, want := range []string{`"backends.comand" (did you mean "command"?)`, `"agent.auto_updat" (did you mean "auto_update"?)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	cfg, err := Load("testdata/valid/proxy_and_unknown.toml", noEnv, Flags{})
	if err != nil {
		t.Fatalf("a valid config with unknown keys: %v", err)
	}
	if d := cfg.DescribeUnknown(); !strings.Contains(d, `"agent.telemetry"`) {
		t.Errorf("DescribeUnknown = %q", d)
	}
}

func TestLevel(t *testing.T) {
	for in, want := range map[string]string{"": "INFO", "debug": "DEBUG", "WARN": "WARN", "error": "ERROR"} {
		if got := (Agent{LogLevel: in}).Level().String(); got != want {
			t.Errorf("Level(%q) = %s, want %s", in, got, want)
		}
	}
}
