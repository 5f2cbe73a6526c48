package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/setup"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
)

func ctx30(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// `setup --hub --key` against a real hub: accepted, refused, unreachable.
func TestSetupNonInteractive(t *testing.T) {
	t.Setenv(config.EnvHome, t.TempDir())
	t.Setenv(config.EnvAPIKey, "")
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "laptop")
	file := filepath.Join(t.TempDir(), "config.toml")

	out, _, err := run(ctx30(t), "setup", "--config", file, "--hub", h.URL, "--key", key, "--agent-id", "laptop")
	if err != nil || !strings.Contains(out, `accepted agent "laptop"`) {
		t.Fatalf("good key: %v\n%s", err, out)
	}
	cfg, err := config.ReadFile(file)
	if err != nil || cfg.Agent.GatewayURL != h.AgentURL() || cfg.Agent.DashboardURL != h.URL || cfg.Agent.APIKey != key {
		t.Fatalf("config written: %+v, %v", cfg, err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}

	_, _, err = run(ctx30(t), "setup", "--config", file, "--hub", h.AgentURL(), "--key", "mcpgw_bogus")
	if !errors.Is(err, setup.ErrRefused) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("refused key: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, _, err = run(ctx30(t), "setup", "--config", file, "--hub", addr, "--key", key) // loopback: http
	if !errors.Is(err, setup.ErrUnreachable) || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("unreachable hub: %v", err)
	}
	// The key may come from the environment, out of the process list.
	t.Setenv(config.EnvAPIKey, key)
	if _, _, err := run(ctx30(t), "setup", "--config", file, "--hub", h.URL); err != nil {
		t.Errorf("key from %s: %v", config.EnvAPIKey, err)
	}
}

// Plain `setup` is the wizard; after writing it offers run / service / nothing.
func TestSetupWizardCommand(t *testing.T) {
	t.Setenv(config.EnvHome, t.TempDir())
	h := hubtest.Start(t, nil)
	key := h.EnrollAgent(t, "box")
	file := filepath.Join(t.TempDir(), "config.toml")
	in := strings.NewReader(strings.Join([]string{h.URL, key, "box", "", "n"}, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	if err := setupCmd(ctx30(t), []string{"--config", file}, in, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if !strings.Contains(stdout.String(), "Start the agent with: mcp-gateway-agent run --config "+file) {
		t.Errorf("output:\n%s", stdout.String())
	}
	if cfg, err := config.ReadFile(file); err != nil || cfg.Agent.AgentID != "box" {
		t.Errorf("config: %+v %v", cfg, err)
	}
}

// withConfig puts --config FILE right after the subcommand, before any "--".
func withConfig(file string, args ...string) []string {
	return append([]string{args[0], args[1], "--config", file}, args[2:]...)
}

func TestBackendsCommands(t *testing.T) {
	t.Setenv(config.EnvHome, t.TempDir()) // never the real home, whatever goes wrong
	file := filepath.Join(t.TempDir(), "config.toml")
	ok := func(args ...string) string {
		t.Helper()
		out, stderr, err := run(context.Background(), withConfig(file, args...)...)
		if err != nil {
			t.Fatalf("%q: %v\n%s", args, err, stderr)
		}
		return out
	}
	// Flags must come before "--": append --config first for add.
	if out, _, err := run(context.Background(), "backends", "add", "--config", file, "--name", "github",
		"--env", "GITHUB_TOKEN=ghp_x", "--", "npx", "-y", "@modelcontextprotocol/server-github"); err != nil || !strings.Contains(out, "Backend github (stdio)") {
		t.Fatalf("add stdio: %v\n%s", err, out)
	}
	ok("backends", "add", "--name", "docs", "--url", "http://127.0.0.1:8080/mcp", "--header", "Authorization=Bearer x")
	ok("backends", "add", "--name", "old", "--transport", "sse", "--url", "https://x.example.com/sse")
	ok("backends", "add", "--name", "py", "--no-check", "--command", "uvx", "--args", "mcp-server-time --local-timezone 'Europe/Paris'")
	list := ok("backends", "list")
	for _, want := range []string{"github", "npx -y @modelcontextprotocol/server-github  env: GITHUB_TOKEN", "docs", "http",
		"headers: Authorization", "old", "sse", "uvx mcp-server-time --local-timezone Europe/Paris"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "ghp_x") || strings.Contains(list, "Bearer x") {
		t.Errorf("list shows secret values:\n%s", list)
	}
	for _, bad := range [][]string{
		{"backends", "add", "--name", "github", "--", "x"},                  // exists
		{"backends", "add", "--name", "bad name", "--", "x"},                // name
		{"backends", "add", "--name", "h", "--transport", "http"},           // no url
		{"backends", "add", "--name", "h", "--url", "ftp://x"},              // bad url
		{"backends", "add", "--name", "e", "--env", "NOVALUE", "--", "x"},   // env
		{"backends", "add", "--name", "q", "--command", "a", "--args", "'"}, // quoting
		{"backends", "remove", "nope"},
	} {
		if _, _, err := run(context.Background(), withConfig(file, bad...)...); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	ok("backends", "add", "--replace", "--name", "github", "--", "npx", "-y", "@modelcontextprotocol/server-github@2")
	ok("backends", "remove", "docs")
	if _, _, err := run(context.Background(), "backends", "remove", "old", "--config", file); err != nil {
		t.Errorf("remove NAME --config FILE: %v", err)
	}
	ok("backends", "add", "--name", "old", "--transport", "sse", "--url", "https://x.example.com/sse")
	cfg, err := config.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Backends) != 3 || cfg.Backends[0].Args[1] != "@modelcontextprotocol/server-github@2" || cfg.Backends[0].Env != nil {
		t.Errorf("backends after edits: %+v", cfg.Backends)
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
}

// backends add checks what it writes (issue 12): a stdio command must be an executable on the
// PATH the server gets (the backend's own env PATH wins) or a path to one, and --cwd must
// exist; otherwise it refuses and writes nothing, unless --no-check, which says what it could
// not find. An HTTP backend is said to be unchecked.
func TestBackendsAddChecksCommand(t *testing.T) {
	t.Setenv(config.EnvHome, t.TempDir())
	bin := t.TempDir()
	tool := filepath.Join(bin, "my-mcp-server")
	os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755)
	plain := filepath.Join(bin, "not-exec")
	os.WriteFile(plain, []byte("x"), 0o644)
	t.Setenv("PATH", bin)
	file := filepath.Join(t.TempDir(), "config.toml")
	add := func(args ...string) (string, error) {
		out, stderr, err := run(context.Background(), append([]string{"backends", "add", "--config", file}, args...)...)
		return out + stderr, err
	}
	if out, err := add("--name", "a", "--", "my-mcp-server", "--flag"); err != nil || !strings.Contains(out, "found "+tool) {
		t.Fatalf("a command on PATH: %v\n%s", err, out)
	}
	for name, args := range map[string][]string{
		"missing":       {"--name", "b", "--", "no-such-mcp-server"},
		"not on env":    {"--name", "c", "--env", "PATH=/nonexistent", "--", "my-mcp-server"},
		"path missing":  {"--name", "d", "--", filepath.Join(bin, "nope")},
		"not exec":      {"--name", "e", "--", plain},
		"cwd missing":   {"--name", "f", "--cwd", filepath.Join(bin, "nodir"), "--", "my-mcp-server"},
		"relative path": {"--name", "g", "--", "./my-mcp-server"},
	} {
		out, err := add(args...)
		if !errors.Is(err, setup.ErrNotRunnable) {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
	if out, err := add("--name", "h", "--cwd", bin, "--", "./my-mcp-server"); err != nil || !strings.Contains(out, "found") {
		t.Errorf("a path relative to --cwd: %v\n%s", err, out)
	}
	if out, err := add("--name", "b", "--no-check", "--", "no-such-mcp-server"); err != nil || !strings.Contains(out, "not checked (--no-check)") {
		t.Errorf("--no-check: %v\n%s", err, out)
	}
	if out, err := add("--name", "web", "--url", "http://127.0.0.1:1/mcp"); err != nil || !strings.Contains(out, "not checked: http://127.0.0.1:1/mcp") {
		t.Errorf("http: %v\n%s", err, out)
	}
	cfg, err := config.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range cfg.Backends {
		names = append(names, b.Name)
	}
	if strings.Join(names, ",") != "a,h,b,web" {
		t.Errorf("written backends %v, want a,h,b,web (refused ones not written)", names)
	}
}
