package release

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

const sumA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseChecksums(t *testing.T) {
	text := sumA + "  mcp-gateway-agent_v1.0.0_linux_amd64.tar.gz\r\n\n" +
		strings.ToUpper(sumA) + " *mcp-gateway-agent_v1.0.0_windows_amd64.zip\n"
	cs, err := ParseChecksums([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[1].Name != "mcp-gateway-agent_v1.0.0_windows_amd64.zip" {
		t.Fatalf("parsed %+v", cs)
	}
	if _, ok := cs.Lookup("mcp-gateway-agent_v1.0.0_linux_amd64.tar.gz"); !ok {
		t.Error("lookup failed")
	}
	if _, ok := cs.Lookup("other"); ok {
		t.Error("lookup of a missing name succeeded")
	}
	again, err := ParseChecksums(cs.Bytes())
	if err != nil || len(again) != 2 || again[0] != cs[0] {
		t.Fatalf("round trip: %v %+v", err, again)
	}
}

func TestParseChecksumsRefuses(t *testing.T) {
	for name, text := range map[string]string{
		"empty":        "\n\n",
		"one space":    sumA + " a.tar.gz\n",
		"short digest": sumA[:60] + "  a.tar.gz\n",
		"not hex":      strings.Replace(sumA, "0", "g", 1) + "  a.tar.gz\n",
		"path":         sumA + "  ../etc/passwd\n",
		"subdir":       sumA + "  dir/a.tar.gz\n",
		"dot file":     sumA + "  .hidden\n",
		"no name":      sumA + "  \n",
		"duplicate":    sumA + "  a.tar.gz\n" + sumA + "  a.tar.gz\n",
		"too large":    strings.Repeat(sumA+"  a.tar.gz\n", MaxChecksumsSize/70+1),
	} {
		if _, err := ParseChecksums([]byte(text)); !errors.Is(err, ErrChecksums) {
			t.Errorf("%s: got %v, want ErrChecksums", name, err)
		}
	}
}

func TestVerifyFile(t *testing.T) {
	data := []byte("the archive")
	cs := Checksums{{Name: "a.tar.gz", Sum: sha256.Sum256(data)}}
	if err := cs.VerifyFile("a.tar.gz", data); err != nil {
		t.Fatal(err)
	}
	err := cs.VerifyFile("a.tar.gz", []byte("the archivE"))
	if !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("tampered data: got %v", err)
	}
	if err := cs.VerifyFile("b.tar.gz", data); err == nil || !strings.Contains(err.Error(), "not listed") {
		t.Fatalf("unlisted file: got %v", err)
	}
}

func FuzzParseChecksums(f *testing.F) {
	f.Add([]byte(sumA + "  mcp-gateway-agent_v1.0.0_linux_amd64.tar.gz\n"))
	f.Add([]byte(sumA + " *a.zip\r\n\n" + sumA + "  b\n"))
	f.Add([]byte(sumA + "  ../x\n"))
	f.Add([]byte("\n"))
	f.Add([]byte(sumA + "  a\n" + sumA + "  a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := ParseChecksums(b)
		if err != nil {
			if !errors.Is(err, ErrChecksums) {
				t.Fatalf("error does not match ErrChecksums: %v", err)
			}
			return
		}
		for _, c := range cs {
			if CheckFileName(c.Name) != nil {
				t.Fatalf("unsafe name accepted: %q", c.Name)
			}
		}
		again, err := ParseChecksums(cs.Bytes())
		if err != nil || len(again) != len(cs) {
			t.Fatalf("re-parse of formatted output: %v", err)
		}
		for i := range cs {
			if again[i] != cs[i] {
				t.Fatalf("round trip changed line %d", i)
			}
		}
	})
}
