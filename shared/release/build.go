package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// WriteRelease writes a complete, signed release directory dir/<version>/ from binaries keyed
// by "os/arch": one archive each, checksums.txt and checksums.txt.sig. It is what goreleaser
// produces, for tests and for releases made by hand.
func WriteRelease(dir, version string, key ed25519.PrivateKey, binaries map[string][]byte) error {
	platforms := make([]string, 0, len(binaries))
	for p := range binaries {
		platforms = append(platforms, p)
	}
	return writeRelease(dir, version, key, platforms, func(p string) ([]byte, error) { return binaries[p], nil })
}

// WriteReleaseFiles is WriteRelease with each binary read from a file (keyed by "os/arch"),
// one at a time.
func WriteReleaseFiles(dir, version string, key ed25519.PrivateKey, files map[string]string) error {
	platforms := make([]string, 0, len(files))
	for p := range files {
		platforms = append(platforms, p)
	}
	return writeRelease(dir, version, key, platforms, func(p string) ([]byte, error) { return os.ReadFile(files[p]) })
}

func writeRelease(dir, version string, key ed25519.PrivateKey, platforms []string, binary func(string) ([]byte, error)) error {
	if _, err := ParseVersion(version); err != nil {
		return err
	}
	vdir := filepath.Join(dir, version)
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return fmt.Errorf("write release: %w", err)
	}
	sort.Strings(platforms)
	var sums Checksums
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		if err := CheckPlatform(goos, goarch); err != nil {
			return fmt.Errorf("write release: %w", err)
		}
		bin, err := binary(p)
		if err != nil {
			return fmt.Errorf("write release: %w", err)
		}
		var buf bytes.Buffer
		if err := WriteArchive(&buf, goos, bin); err != nil {
			return fmt.Errorf("write release archive for %s: %w", p, err)
		}
		name := ArchiveName(version, goos, goarch)
		if err := os.WriteFile(filepath.Join(vdir, name), buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write release: %w", err)
		}
		sums = append(sums, Checksum{Name: name, Sum: sha256.Sum256(buf.Bytes())})
	}
	text := sums.Bytes()
	if err := os.WriteFile(filepath.Join(vdir, ChecksumsFile), text, 0o644); err != nil {
		return fmt.Errorf("write release: %w", err)
	}
	if err := os.WriteFile(filepath.Join(vdir, SignatureFile), Sign(key, text), 0o644); err != nil {
		return fmt.Errorf("write release: %w", err)
	}
	return nil
}

// FindArchive returns the archive listed in cs for goos/goarch and the version its name
// carries (mcp-gateway-agent_<version>_<os>_<arch>.<ext>).
func FindArchive(cs Checksums, goos, goarch string) (name, version string, ok bool) {
	for _, c := range cs {
		rest, found := strings.CutPrefix(c.Name, Program+"_")
		if !found {
			continue
		}
		for _, ext := range []string{".tar.gz", ".zip"} {
			v, found := strings.CutSuffix(rest, "_"+goos+"_"+goarch+ext)
			if found && ArchiveName(v, goos, goarch) == c.Name {
				return c.Name, v, true
			}
		}
	}
	return "", "", false
}
