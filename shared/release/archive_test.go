package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

type entry struct {
	name string
	body string
	typ  byte
}

func tarGz(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gw)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Mode: 0o755, Typeflag: typ, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			h.Size, h.Linkname = 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.body))
	}
	tw.Close()
	gw.Close()
	return buf.Bytes()
}

func zipOf(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	zw.Close()
	return buf.Bytes()
}

func TestExtractBinary(t *testing.T) {
	for name, c := range map[string]struct {
		archive []byte
		file    string
		goos    string
	}{
		"tar root":       {tarGz(t, entry{name: "README.md", body: "r"}, entry{name: "mcp-gateway-agent", body: "BIN"}), "a.tar.gz", "linux"},
		"tar dot slash":  {tarGz(t, entry{name: "./mcp-gateway-agent", body: "BIN"}), "a.tar.gz", "darwin"},
		"tar one dir":    {tarGz(t, entry{name: "mcp-gateway-agent_v1.0.0/mcp-gateway-agent", body: "BIN"}), "a.tar.gz", "linux"},
		"zip windows":    {zipOf(t, entry{name: "LICENSE", body: "l"}, entry{name: "mcp-gateway-agent.exe", body: "BIN"}), "a.zip", "windows"},
		"written by us":  {archiveOf(t, "linux", "BIN"), "a.tar.gz", "linux"},
		"written by us2": {archiveOf(t, "windows", "BIN"), "a.zip", "windows"},
	} {
		bin, err := ExtractBinary(c.archive, c.file, c.goos)
		if err != nil || string(bin) != "BIN" {
			t.Errorf("%s: got %q, %v", name, bin, err)
		}
	}
}

func archiveOf(t *testing.T, goos, body string) []byte {
	var buf bytes.Buffer
	if err := WriteArchive(&buf, goos, []byte(body)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractBinaryRefuses(t *testing.T) {
	for name, c := range map[string]struct {
		archive []byte
		file    string
	}{
		"traversal":      {tarGz(t, entry{name: "../mcp-gateway-agent", body: "x"}), "a.tar.gz"},
		"traversal deep": {tarGz(t, entry{name: "a/../../etc/cron.d/x", body: "x"}), "a.tar.gz"},
		"absolute":       {tarGz(t, entry{name: "/usr/bin/mcp-gateway-agent", body: "x"}), "a.tar.gz"},
		"zip traversal":  {zipOf(t, entry{name: "..\\mcp-gateway-agent.exe", body: "x"}), "a.zip"},
		"symlink":        {tarGz(t, entry{name: "mcp-gateway-agent", typ: tar.TypeSymlink}), "a.tar.gz"},
		"twice":          {tarGz(t, entry{name: "mcp-gateway-agent", body: "a"}, entry{name: "x/mcp-gateway-agent", body: "b"}), "a.tar.gz"},
		"missing":        {tarGz(t, entry{name: "README.md", body: "r"}), "a.tar.gz"},
		"too deep":       {tarGz(t, entry{name: "a/b/mcp-gateway-agent", body: "x"}), "a.tar.gz"},
		"empty binary":   {tarGz(t, entry{name: "mcp-gateway-agent"}), "a.tar.gz"},
		"not gzip":       {[]byte("plain text"), "a.tar.gz"},
		"not zip":        {[]byte("plain text"), "a.zip"},
	} {
		goos := "linux"
		if filepath.Ext(c.file) == ".zip" {
			goos = "windows"
		}
		if _, err := ExtractBinary(c.archive, c.file, goos); !errors.Is(err, ErrArchive) {
			t.Errorf("%s: got %v, want ErrArchive", name, err)
		}
	}
}

func TestWriteReleaseAndFindArchive(t *testing.T) {
	dir := t.TempDir()
	pub, priv, _ := ed25519.GenerateKey(nil)
	bins := map[string][]byte{"linux/amd64": []byte("L"), "windows/arm64": []byte("W")}
	if err := WriteRelease(dir, "v1.2.0-rc.1", priv, bins); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(filepath.Join(dir, "v1.2.0-rc.1", ChecksumsFile))
	sig, _ := os.ReadFile(filepath.Join(dir, "v1.2.0-rc.1", SignatureFile))
	if err := Verify([]ed25519.PublicKey{pub}, text, sig); err != nil {
		t.Fatal(err)
	}
	cs, err := ParseChecksums(text)
	if err != nil {
		t.Fatal(err)
	}
	name, v, ok := FindArchive(cs, "windows", "arm64")
	if !ok || v != "v1.2.0-rc.1" || name != "mcp-gateway-agent_v1.2.0-rc.1_windows_arm64.zip" {
		t.Fatalf("FindArchive = %q %q %v", name, v, ok)
	}
	archive, _ := os.ReadFile(filepath.Join(dir, "v1.2.0-rc.1", name))
	if err := cs.VerifyFile(name, archive); err != nil {
		t.Fatal(err)
	}
	if bin, err := ExtractBinary(archive, name, "windows"); err != nil || string(bin) != "W" {
		t.Fatalf("extract: %q %v", bin, err)
	}
	if _, _, ok := FindArchive(cs, "darwin", "amd64"); ok {
		t.Error("found an archive for a platform the release lacks")
	}
	if err := WriteRelease(dir, "v1.0.0", priv, map[string][]byte{"plan9/amd64": nil}); err == nil {
		t.Error("an unknown platform was written")
	}
}

func TestCheckPlatformAndNames(t *testing.T) {
	if CheckPlatform("linux", "arm64") != nil || CheckPlatform("freebsd", "amd64") == nil || CheckPlatform("linux", "386") == nil {
		t.Error("CheckPlatform")
	}
	if ArchiveName("v1.0.0", "windows", "amd64") != "mcp-gateway-agent_v1.0.0_windows_amd64.zip" ||
		ArchiveName("v1.0.0", "darwin", "arm64") != "mcp-gateway-agent_v1.0.0_darwin_arm64.tar.gz" {
		t.Error("ArchiveName")
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a\\b", ".x", "a b", "a%2f"} {
		if CheckFileName(bad) == nil {
			t.Errorf("CheckFileName(%q) accepted", bad)
		}
	}
}

func FuzzExtractBinary(f *testing.F) {
	f.Add(tarGzSeed(), false)
	f.Add(zipSeed(), true)
	f.Add([]byte("x"), false)
	f.Fuzz(func(t *testing.T, b []byte, isZip bool) {
		name, goos := "a.tar.gz", "linux"
		if isZip {
			name, goos = "a.zip", "windows"
		}
		bin, err := ExtractBinary(b, name, goos)
		if err == nil && len(bin) == 0 {
			t.Fatal("empty binary accepted")
		}
		if err != nil && !errors.Is(err, ErrArchive) {
			t.Fatalf("error does not match ErrArchive: %v", err)
		}
	})
}

func tarGzSeed() []byte {
	var buf bytes.Buffer
	WriteArchive(&buf, "linux", []byte("BIN"))
	return buf.Bytes()
}

func zipSeed() []byte {
	var buf bytes.Buffer
	WriteArchive(&buf, "windows", []byte("BIN"))
	return buf.Bytes()
}
