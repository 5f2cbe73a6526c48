package policy

import (
	"strings"
	"testing"
)

const readingsPolicy = `default = "allow"

[[rules]]
name = "no-etc"
effect = "deny"
tools = ["cat"]
when = [{ arg = "path", under = "/etc" }]

[[rules]]
name = "no-ssh"
effect = "deny"
tools = ["cat"]
when = [{ arg = "path", under = "/home/bob/.ssh" }]

[[rules]]
name = "no-windows"
effect = "deny"
tools = ["cat"]
when = [{ arg = "path", under = "C:/Windows" }]

[[rules]]
name = "data-ok"
effect = "allow"
tools = ["write"]
when = [{ arg = "path", under = "/srv/data" }]

[[rules]]
name = "no-write"
effect = "deny"
tools = ["write"]

[[rules]]
name = "only-tmp"
effect = "deny"
tools = ["rm"]
when = [{ arg = "path", under = "/tmp", not = true }]

[[rules]]
name = "cp-outside-secret"
effect = "allow"
tools = ["cp"]
when = [{ arg = "path", under = "/secret", not = true }]

[[rules]]
name = "no-cp"
effect = "deny"
tools = ["cp"]
`

// Regression (issue 10 item 11): "deny under" rules were side-stepped by strings a backend
// reads as a path inside the directory: file: URIs, white space, percent-encoding, ~ and
// $HOME, /proc/self/root, Windows device prefixes, trailing dots and streams. Each form is
// now caught by deny rules, refused by allow rules when any reading leaves the directory,
// and plain paths are decided as before.
func TestUnderReadings(t *testing.T) {
	p, err := Parse([]byte(readingsPolicy))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ tool, path, rule string }{
		// Deny rules catch every reading.
		{"cat", "/etc/shadow", "no-etc"},
		{"cat", "file:///etc/shadow", "no-etc"},
		{"cat", "FILE://localhost/etc/shadow", "no-etc"},
		{"cat", "file:/etc/shadow", "no-etc"},
		{"cat", "file://fileserver/etc/shadow", "no-etc"},
		{"cat", "file:///etc/%73hadow", "no-etc"},
		{"cat", " /etc/shadow", "no-etc"},
		{"cat", "\t/etc/shadow\n", "no-etc"},
		{"cat", `"/etc/shadow"`, "no-etc"},
		{"cat", "/%65tc/shadow", "no-etc"},
		{"cat", "%2Fetc%2Fshadow", "no-etc"},
		{"cat", "/tmp/%2e%2e/etc/shadow", "no-etc"},
		{"cat", "/tmp%2F..%2F..%2Fetc%2Fshadow", "no-etc"},
		{"cat", "%252Fetc%252Fshadow", "no-etc"},                // encoded twice
		{"cat", "/tmp/%2e%2e/etc/%252e%252e/x/y", "no-etc"},     // inside after one decoding only
		{"cat", "~/../../etc/shadow", "no-etc"},                 // out of any /home/NAME
		{"cat", "~root/../etc/passwd", "no-etc"},                // /root/../etc
		{"cat", "/proc/self/root/etc/shadow", "no-etc"},         // the same file on Linux
		{"cat", "/proc/1/root/etc/shadow", "no-etc"},            // another process's root
		{"cat", "/proc/self/task/12/root/etc/shadow", "no-etc"}, // a thread's
		{"cat", "/proc/thread-self/root/etc/passwd", "no-etc"},  //
		{"cat", "/proc/self/root/proc/self/root/etc/shadow", "no-etc"},
		{"cat", "//proc/./self/root/etc/shadow", "no-etc"},
		{"cat", "/tmp/../etc/shadow", "no-etc"},
		{"cat", "//etc/shadow", "no-etc"},
		{"cat", "/./etc/shadow", "no-etc"},
		{"cat", "/etc/shadow\x00.txt", "no-etc"}, // what a C program opens
		{"cat", "~/.ssh/id_rsa", "no-ssh"},
		{"cat", "~bob/.ssh/id_rsa", "no-ssh"},
		{"cat", "$HOME/.ssh/id_rsa", "no-ssh"},
		{"cat", "${HOME}/.ssh/id_rsa", "no-ssh"},
		{"cat", "~/.SSH/id_rsa", "no-ssh"}, // case folds in deny rules
		{"cat", `\\?\C:\Windows\System32\config\SAM`, "no-windows"},
		{"cat", `\\.\C:\Windows\x`, "no-windows"},
		{"cat", `\??\C:\Windows\x`, "no-windows"},
		{"cat", `C:\Windows.\System32`, "no-windows"}, // Windows drops trailing dots
		{"cat", `C:\Windows \System32`, "no-windows"}, // and spaces
		{"cat", `C:\Windows::$INDEX_ALLOCATION\x`, "no-windows"},
		{"cat", "file:///C:/Windows/win.ini", "no-windows"},
		{"cat", "file:///c:/windows/win.ini", "no-windows"},
		{"cat", "%USERPROFILE%\\..\\..\\Windows\\x", "no-windows"},
		// ... and let the rest through.
		{"cat", "/tmp/x", DefaultRule},
		{"cat", "file:///tmp/x", DefaultRule},
		{"cat", "/etcetera/x", DefaultRule},
		{"cat", "/tmp/%2e%2e/tmp/x", DefaultRule},
		{"cat", "~/notes.txt", DefaultRule},
		{"cat", "~alice/.ssh/id_rsa", DefaultRule}, // another user's: not /home/bob
		{"cat", "/home/bob/.sshx", DefaultRule},
		{"cat", "/srv/data/100%.txt", DefaultRule},
		{"cat", "/srv/process/x", DefaultRule},
		{"cat", "/proc/self/cwd/etc/shadow", DefaultRule}, // the backend's cwd: out of reach
		{"cat", "etc/shadow", DefaultRule},                // relative: out of reach (docs/POLICY.md)
		// Allow rules need every reading inside.
		{"write", "/srv/data/x", "data-ok"},
		{"write", "/srv/data/a%20b.txt", "data-ok"},
		{"write", "/srv/data/file.txt.", "data-ok"},
		{"write", "/srv/data/report:v2", "data-ok"},
		{"write", "/srv/data/backup~", "data-ok"},
		{"write", "/srv/data/%2e%2e/%2e%2e/etc/passwd", "no-write"},
		{"write", "/srv/data/%252e%252e/x", "no-write"},
		{"write", "/srv/data/x\x00/../../../etc/passwd", "no-write"},
		{"write", "file:///srv/data/x", "no-write"}, // as written, a relative path
		{"write", " /srv/data/x", "no-write"},
		{"write", "/proc/self/root/srv/data/x", "no-write"},
		{"write", "~/x", "no-write"},
		{"write", "/srv/data/../../etc/x", "no-write"},
		// A deny rule's "not under" needs every reading inside to stay out of the way...
		{"rm", "/tmp/x", DefaultRule},
		{"rm", "/tmp/%2e%2e/etc/passwd", "only-tmp"},
		{"rm", "file:///tmp/x", "only-tmp"},
		// ... and an allow rule's "not under" fails when any reading is inside.
		{"cp", "/home/x", "cp-outside-secret"},
		{"cp", "file:///secret/k", "no-cp"},
		{"cp", "/%73ecret/k", "no-cp"},
		{"cp", "/proc/self/root/secret/k", "no-cp"},
	} {
		d := p.Decide(Input{Tool: tc.tool, Arguments: map[string]any{"path": tc.path}})
		if d.Rule != tc.rule {
			t.Errorf("%s %q: decided by %q, want %q", tc.tool, tc.path, d.Rule, tc.rule)
		}
	}
}

// A string of too many readings (layers upon layers) is judged in the safe direction
// without them: under for a deny rule, not under for an allow rule.
func TestUnderTooManyReadings(t *testing.T) {
	s := " file:///tmp/%" + strings.Repeat("25", 40) + "2e/x."
	dir, _ := cleanAbs("/tmp")
	if _, complete := readings(s, dir, nil); complete {
		t.Fatalf("%q: readings complete; make it longer", s)
	}
	if !underRead(s, dir, true) || underRead(s, dir, false) {
		t.Errorf("%q: lenient %v, strict %v; want true, false", s, underRead(s, dir, true), underRead(s, dir, false))
	}
}

// FuzzUnderReadings: a strict "under" implies the lenient one and the path as written
// being inside, and readings end. Seeds: testdata/fuzz/FuzzUnderReadings.
func FuzzUnderReadings(f *testing.F) {
	for _, s := range [][2]string{{"file:///etc/%2e%2e/x", "/etc"}, {" ~/.ssh/k", "/home/bob/.ssh"}, {`\\?\C:\Windows.\x::$DATA`, "C:/Windows"},
		{"/proc/self/root/proc/1/task/2/root/x", "/x"}, {"$HOME/../../etc", "/etc"}, {"%252F%252e", "/"}, {"/srv/data/a\x00b", "/srv/data"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, dirIn string) {
		dir, ok := cleanAbs(dirIn)
		if !ok {
			return
		}
		strict, lenient := underRead(p, dir, false), underRead(p, dir, true)
		if strict && !lenient {
			t.Fatalf("%q under %q: strict but not lenient", p, dir)
		}
		if strict && !underOne(p, dir, false) {
			t.Fatalf("%q under %q: strict, but not as written", p, dir)
		}
		if !needsReadings(p) {
			if rs, _ := readings(p, dir, nil); len(rs) != 1 {
				t.Fatalf("%q: the fast path skips readings %q", p, rs)
			}
		}
	})
}

func TestExplainShowsReadings(t *testing.T) {
	p, err := Parse([]byte(readingsPolicy))
	if err != nil {
		t.Fatal(err)
	}
	e := p.Explain(Input{Tool: "write", Arguments: map[string]any{"path": "/srv/data/%2e%2e/x"}})
	want := `condition failed: argument path is under /srv/data; got "/srv/data/%2e%2e/x" (cleaned "/srv/data/%2e%2e/x"), also read as ["/srv/data/../x"]`
	for _, s := range e.Steps {
		if s.Rule == "data-ok" {
			if s.Why != want {
				t.Errorf("data-ok: %q, want %q", s.Why, want)
			}
			return
		}
	}
	t.Errorf("no step for data-ok: %+v", e.Steps)
}

func BenchmarkUnder(b *testing.B) {
	dir, _ := cleanAbs("/srv/data")
	for _, p := range []string{"/srv/data/reports/2026/q4.csv", "/srv/data/../../etc/passwd", "file:///srv/data/a%20b.txt", "~/../../srv/data/x"} {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				underRead(p, dir, true)
			}
		})
	}
}
