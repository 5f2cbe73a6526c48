package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

func TestReleasesKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	out, err := run(t, "releases", "keygen", "--out", keys)
	if err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	info, err := os.Stat(filepath.Join(keys, PrivateKeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v mode %v, want 0600", err, info.Mode())
	}
	pub, _ := os.ReadFile(filepath.Join(keys, PublicKeyFile))
	if !strings.Contains(out, strings.TrimSpace(string(pub))) || !strings.Contains(out, "version.ReleaseKey=") {
		t.Errorf("keygen output lacks the public key and the ldflags hint:\n%s", out)
	}
	if _, err := run(t, "releases", "keygen", "--out", keys); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("second keygen over the same directory: %v", err)
	}

	sums := filepath.Join(dir, release.ChecksumsFile)
	os.WriteFile(sums, []byte(strings.Repeat("ab", 32)+"  mcp-gateway-agent_v1.0.0_linux_amd64.tar.gz\n"), 0o644)
	if out, err := run(t, "releases", "sign", "--key", filepath.Join(keys, PrivateKeyFile), sums); err != nil {
		t.Fatalf("sign: %v\n%s", err, out)
	}
	if out, err := run(t, "releases", "verify", "--pub", filepath.Join(keys, PublicKeyFile), sums); err != nil || !strings.Contains(out, "good signature") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	// Both ways: a changed checksums file no longer verifies, nor does another key.
	os.WriteFile(sums, []byte(strings.Repeat("cd", 32)+"  mcp-gateway-agent_v1.0.0_linux_amd64.tar.gz\n"), 0o644)
	if _, err := run(t, "releases", "verify", "--pub", filepath.Join(keys, PublicKeyFile), sums); err == nil || !strings.Contains(err.Error(), "bad release signature") {
		t.Fatalf("verify after tampering: %v", err)
	}
	other := filepath.Join(dir, "other")
	run(t, "releases", "keygen", "--out", other)
	run(t, "releases", "sign", "--key", filepath.Join(keys, PrivateKeyFile), sums)
	if _, err := run(t, "releases", "verify", "--pub", filepath.Join(other, PublicKeyFile), sums); err == nil {
		t.Fatal("a signature verified with another key")
	}
	os.WriteFile(sums, []byte("not a checksums file\n"), 0o644)
	if _, err := run(t, "releases", "sign", "--key", filepath.Join(keys, PrivateKeyFile), sums); err == nil {
		t.Fatal("a malformed checksums.txt was signed")
	}
	for _, args := range [][]string{{"releases"}, {"releases", "keygen"}, {"releases", "sign", sums}, {"releases", "bogus"}} {
		if _, err := run(t, args...); err != ErrUsage {
			t.Errorf("%v: %v, want ErrUsage", args, err)
		}
	}
}
