package masterkey

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The key file is made once with mode 0600 and read back the same; the environment wins
// over it; a file others can read, or a key that is not 32 bytes, is refused with a message
// that says what to do.
func TestLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, st.Mode().Perm())
	}
	k2, err := Load(dir, "")
	if err != nil || k2.ID() != k1.ID() || k2.Source() != path {
		t.Fatalf("second load: %v, id %s want %s, source %q", err, k2.ID(), k1.ID(), k2.Source())
	}
	env, err := Load(dir, strings.Repeat("0f", 32))
	if err != nil || env.ID() == k1.ID() || env.Source() != EnvVar {
		t.Fatalf("key from the environment: %v, %+v", err, env)
	}
	if _, err := Load(dir, "too-short"); err == nil || !strings.Contains(err.Error(), EnvVar) || !strings.Contains(err.Error(), "32") {
		t.Errorf("short key from the environment: %v", err)
	}
	if _, err := Load("", ""); !errors.Is(err, ErrNoKey) {
		t.Errorf("no data dir, no env: %v", err)
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir, ""); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("key file readable by others: %v", err)
		}
	}
	for _, text := range []string{strings.Repeat("ab", 32), "q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80=", "q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80", " " + strings.Repeat("AB", 32) + "\n"} {
		if _, err := Parse(text); err != nil {
			t.Errorf("Parse(%q): %v", text, err)
		}
	}
}

// A sealed value opens only with its key and at its place; it never holds the plaintext.
func TestSealOpen(t *testing.T) {
	k, _ := Parse(strings.Repeat("11", 32))
	other, _ := Parse(strings.Repeat("22", 32))
	sealed := k.Seal("token=abc123", "backend a")
	if !IsSealed(sealed) || strings.Contains(sealed, "abc123") || sealed == k.Seal("token=abc123", "backend a") {
		t.Fatalf("sealed = %q: want a sealed value, fresh each time, without the plaintext", sealed)
	}
	if got, err := k.Open(sealed, "backend a"); err != nil || got != "token=abc123" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, "backend b"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("opened at another place: %v", err)
	}
	if _, err := other.Open(sealed, "backend a"); !errors.Is(err, ErrWrongKey) || !strings.Contains(err.Error(), k.ID()) || !strings.Contains(err.Error(), other.ID()) {
		t.Errorf("opened with another key: %v", err)
	}
	var none *Key
	if _, err := none.Open(sealed, "backend a"); !errors.Is(err, ErrNoKey) {
		t.Errorf("opened with no key: %v", err)
	}
	damaged := sealed[:len(sealed)-2] + "AA"
	if _, err := k.Open(damaged, "backend a"); !errors.Is(err, ErrWrongKey) {
		t.Errorf("damaged value: %v", err)
	}
}

// Open never panics on what a database row might hold.
func FuzzOpen(f *testing.F) {
	k, _ := Parse(strings.Repeat("33", 32))
	f.Add(k.Seal("x", "w"))
	f.Add("sealed:v1:")
	f.Add("sealed:v1:" + k.ID() + ":")
	f.Add("sealed:v1:" + k.ID() + ":AAAA")
	f.Add(`{"transport":"stdio"}`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := k.Open(s, "w"); err == nil && k.Seal(got, "w") == "" {
			t.Fatal("unreachable")
		}
	})
}

// Regression: hubs (or the CLI) opening a new data directory at once read the key file
// while another was still writing it, and refused an empty key. The key is now linked into
// place complete: every opener gets the same key.
func TestConcurrentFirstLoad(t *testing.T) {
	for round := 0; round < 20; round++ {
		dir := t.TempDir()
		ids := make(chan string, 8)
		for range 8 {
			go func() {
				k, err := Load(dir, "")
				if err != nil {
					ids <- "error: " + err.Error()
					return
				}
				ids <- k.ID()
			}()
		}
		first := <-ids
		for range 7 {
			if id := <-ids; id != first || strings.HasPrefix(id, "error") {
				t.Fatalf("round %d: concurrent loads got %q and %q", round, first, id)
			}
		}
		if strings.HasPrefix(first, "error") {
			t.Fatal(first)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) > 0 {
			t.Errorf("temporary files left: %v", left)
		}
	}
}

// Derive gives the same secret for the same key and label, and a different one for another
// label or key.
func TestDerive(t *testing.T) {
	k1, err := Parse(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	k1b, _ := Parse(strings.Repeat("ab", 32))
	k2, _ := Parse(strings.Repeat("cd", 32))
	a, b := k1.Derive("x"), k1b.Derive("x")
	if len(a) != 32 || !bytes.Equal(a, b) {
		t.Fatalf("same key and label: %x %x", a, b)
	}
	if bytes.Equal(a, k1.Derive("y")) || bytes.Equal(a, k2.Derive("x")) {
		t.Fatal("another label or key gave the same secret")
	}
}
