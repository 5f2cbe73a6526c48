// Package release is the shared contract of agent releases: file names, the checksums file,
// its Ed25519 signature, archive extraction and version ordering. docs/UPDATE.md has the layout.
package release

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Names of the files every release directory holds besides its archives.
const (
	ChecksumsFile = "checksums.txt"
	SignatureFile = "checksums.txt.sig"
	// Program is the agent's binary name, without the .exe of Windows.
	Program = "mcp-gateway-agent"
)

// Size limits for what an agent downloads and unpacks, and for what the hub reads.
const (
	MaxChecksumsSize = 64 << 10
	MaxSignatureSize = 1 << 10
	MaxArchiveSize   = 256 << 20
	MaxBinarySize    = 512 << 20
)

// Platforms are the os/arch pairs releases are built for.
var platforms = map[string][]string{
	"linux":   {"amd64", "arm64"},
	"darwin":  {"amd64", "arm64"},
	"windows": {"amd64", "arm64"},
}

// Platforms lists the os/arch pairs releases are built for, sorted: "darwin/amd64", ….
func Platforms() []string {
	var out []string
	for goos, arches := range platforms {
		for _, a := range arches {
			out = append(out, goos+"/"+a)
		}
	}
	sort.Strings(out)
	return out
}

// CheckPlatform reports whether goos/goarch is a platform releases are built for.
func CheckPlatform(goos, goarch string) error {
	arches, ok := platforms[goos]
	if !ok {
		return fmt.Errorf("os %q is not one of linux, darwin, windows", goos)
	}
	for _, a := range arches {
		if a == goarch {
			return nil
		}
	}
	return fmt.Errorf("arch %q is not one of %s", goarch, strings.Join(arches, ", "))
}

// ArchiveName is the archive of one platform in a release:
// mcp-gateway-agent_<version>_<os>_<arch>.tar.gz (.zip on Windows). The version is written as
// the release directory is named (v1.2.3); it is covered by the signature, which is what makes
// a replayed old release recognisable as a downgrade.
func ArchiveName(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return Program + "_" + version + "_" + goos + "_" + goarch + ext
}

// BinaryName is the agent's file name inside an archive for goos.
func BinaryName(goos string) string {
	if goos == "windows" {
		return Program + ".exe"
	}
	return Program
}

// ErrBadName is matched by errors about an unsafe version or file name.
var ErrBadName = errors.New("bad release file name")

// CheckFileName accepts a plain file name: letters, digits, '.', '_', '-' and '+', not
// starting with a dot, at most 128 bytes. Anything that could name another directory fails.
func CheckFileName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("%w: %q must be 1 to 128 characters", ErrBadName, name)
	}
	if name[0] == '.' {
		return fmt.Errorf("%w: %q starts with a dot", ErrBadName, name)
	}
	for _, r := range name {
		ok := r == '.' || r == '_' || r == '-' || r == '+' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("%w: %q may contain only letters, digits, '.', '_', '-', '+'", ErrBadName, name)
		}
	}
	return nil
}
