package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goldenPolicy = "../policy/testdata/main.policy.toml"

func TestPolicyTest(t *testing.T) {
	out, err := run(t, "policy", "test", goldenPolicy, "../policy/testdata/main.cases.toml")
	if err != nil || !strings.Contains(out, ", 0 failed") || !strings.Contains(out, "ok    dot-dot escape is cleaned and refused: deny by fs-deny-write") {
		t.Fatalf("golden cases: %v\n%s", err, out)
	}

	cases := filepath.Join(t.TempDir(), "cases.toml")
	os.WriteFile(cases, []byte(`
[[cases]]
name = "wrong on purpose"
tool = "fs__write_file"
backend = "fs"
risk = "write"
role = "operator"
arguments = { path = "/srv/data/../../etc/passwd" }
expect = "allow"
rule = "fs-write-in-data"

[[cases]]
name = "right"
tool = "x"
expect = "deny"
rule = "default"
`), 0o600)
	out, err = run(t, "policy", "test", goldenPolicy, cases)
	if !errors.Is(err, ErrPolicyMismatch) || errors.Is(err, ErrUsage) {
		t.Fatalf("a mismatch gave %v, want ErrPolicyMismatch (exit 1)", err)
	}
	for _, want := range []string{`FAIL  wrong on purpose: got deny by rule "fs-deny-write", want allow by rule "fs-write-in-data"`, "ok    right: deny by default", "2 cases, 1 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPolicyCheck(t *testing.T) {
	out, err := run(t, "policy", "check", goldenPolicy)
	if err != nil || !strings.Contains(out, "rules, default deny") {
		t.Fatalf("check: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("default = \"deny\"\n[[rules]]\nname = \"oops\"\neffect = \"permit\"\n"), 0o600)
	if _, err := run(t, "policy", "check", bad); err == nil || !strings.Contains(err.Error(), `rule "oops" (rules[0]): effect`) {
		t.Fatalf("bad policy: %v, want an error naming the rule and field", err)
	}
}

func TestPolicyExplain(t *testing.T) {
	out, err := run(t, "policy", "explain", goldenPolicy, "--tool", "laptop__sh__run_command", "--original", "run_command",
		"--risk", "execute", "--role", "operator", "--arg", "command=git status", "--arg", "timeout=30")
	if err != nil || !strings.Contains(out, "decision: allow by shell-git") || !strings.Contains(out, "YES shell-git") {
		t.Fatalf("explain allow: %v\n%s", err, out)
	}
	out, err = run(t, "policy", "explain", goldenPolicy, "--tool", "laptop__sh__run_command", "--role", "operator",
		"--args", `{"command": "rm -rf /", "timeout": 30}`, "--json")
	if err != nil || !strings.Contains(out, `"rule": "default"`) || !strings.Contains(out, `"effect": "deny"`) {
		t.Fatalf("explain default deny: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"policy"}, {"policy", "frob"}, {"policy", "test", goldenPolicy},
		{"policy", "explain", goldenPolicy}, {"policy", "explain", "--tool", "x"}, {"policy", "explain", goldenPolicy, "--tool", "x", "--arg", "novalue"}} {
		if _, err := run(t, args...); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
