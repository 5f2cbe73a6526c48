package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return out.String() + errOut.String(), err
}

var keyRE = regexp.MustCompile(`mcpgw_[A-Za-z0-9_-]{43}`)

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	if _, err := run(t, "keys", "create", "--data-dir", dir); err == nil || !strings.Contains(err.Error(), "init") {
		t.Fatalf("keys create before init: %v, want a hint to run init", err)
	}
	out, err := run(t, "init", "--data-dir", dir)
	if err != nil || !keyRE.MatchString(out) {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if _, err := run(t, "init", "--data-dir", dir); err == nil {
		t.Fatal("a second init succeeded: the owner key would be replaced")
	}
	out, err = run(t, "agents", "enroll", "laptop", "--data-dir", dir)
	if err != nil || !keyRE.MatchString(out) {
		t.Fatalf("enroll: %v\n%s", err, out)
	}
	if _, err := run(t, "agents", "enroll", "bad id!", "--data-dir", dir); err == nil {
		t.Fatal("an invalid agent id was enrolled")
	}
	out, err = run(t, "keys", "create", "--name", "claude", "--expires", "24h", "--data-dir", dir)
	if err != nil || !keyRE.MatchString(out) {
		t.Fatalf("keys create: %v\n%s", err, out)
	}
	out, err = run(t, "keys", "list", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "claude") || !strings.Contains(out, "agent:laptop") || keyRE.MatchString(out) {
		t.Fatalf("keys list (must not show keys): %v\n%s", err, out)
	}
	id := regexp.MustCompile(`key_[0-9a-f]+`).FindString(out[strings.Index(out, "claude")-40:])
	if _, err := run(t, "keys", "revoke", id, "--data-dir", dir); err != nil {
		t.Fatalf("revoke %s: %v", id, err)
	}
	if _, err := run(t, "agents", "revoke", "laptop", "--data-dir", dir); err != nil {
		t.Fatal(err)
	}
	out, _ = run(t, "agents", "list", "--data-dir", dir)
	if !strings.Contains(out, "revoked") {
		t.Fatalf("agents list after revoke:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	// Some usage errors are found only after the store is opened; keep it out of $HOME.
	t.Setenv("MCPGW_DATA_DIR", t.TempDir())
	t.Setenv("DATABASE_URL", "")
	for _, args := range [][]string{nil, {"frobnicate"}, {"keys"}, {"keys", "bogus"}, {"agents", "enroll"}} {
		if _, err := run(t, args...); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestServeRefusesAnonymousOnPublicAddress(t *testing.T) {
	_, err := run(t, "serve", "--data-dir", t.TempDir(), "--listen", "0.0.0.0:0", "--anonymous-role", "owner")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("got %v, want a refusal naming loopback", err)
	}
}
