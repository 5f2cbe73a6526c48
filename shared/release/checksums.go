package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Checksums is a parsed checksums.txt: one SHA-256 per file name, in file order.
type Checksums []Checksum

// Checksum is one line of checksums.txt.
type Checksum struct {
	Name string
	Sum  [sha256.Size]byte
}

// ErrChecksums is matched by every error about the content of a checksums file.
var ErrChecksums = errors.New("bad checksums file")

// ParseChecksums parses the output of `sha256sum` (and of goreleaser): lines of 64 hex digits,
// two spaces (or a space and '*', sha256sum's binary mode), and a plain file name. Blank lines
// are skipped; anything else — a path, a duplicate name, a bad digest — is an error naming the line.
func ParseChecksums(b []byte) (Checksums, error) {
	if len(b) > MaxChecksumsSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrChecksums, MaxChecksumsSize)
	}
	var out Checksums
	seen := map[string]bool{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		c, err := parseChecksumLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrChecksums, i+1, err)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("%w: line %d: %q is listed twice", ErrChecksums, i+1, c.Name)
		}
		seen[c.Name] = true
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no checksums in it", ErrChecksums)
	}
	return out, nil
}

func parseChecksumLine(line string) (Checksum, error) {
	var c Checksum
	if len(line) < 2*sha256.Size+3 {
		return c, errors.New("want \"<sha256 hex>  <file name>\"")
	}
	digest, sep, name := line[:2*sha256.Size], line[2*sha256.Size:2*sha256.Size+2], line[2*sha256.Size+2:]
	if sep != "  " && sep != " *" {
		return c, errors.New("want two spaces between the digest and the file name")
	}
	if _, err := hex.Decode(c.Sum[:], []byte(digest)); err != nil {
		return c, fmt.Errorf("digest is not 64 hex digits: %w", err)
	}
	if err := CheckFileName(name); err != nil {
		return c, err
	}
	c.Name = name
	return c, nil
}

// Lookup returns the checksum of name.
func (cs Checksums) Lookup(name string) ([sha256.Size]byte, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c.Sum, true
		}
	}
	return [sha256.Size]byte{}, false
}

// Bytes formats cs as checksums.txt (sha256sum's text format).
func (cs Checksums) Bytes() []byte {
	var b bytes.Buffer
	for _, c := range cs {
		fmt.Fprintf(&b, "%x  %s\n", c.Sum, c.Name)
	}
	return b.Bytes()
}

// ErrChecksumMismatch means a file's SHA-256 differs from the signed checksums: it was
// altered after signing (or the download is corrupt).
var ErrChecksumMismatch = errors.New("checksum mismatch")

// VerifyFile checks data against the checksum listed for name.
func (cs Checksums) VerifyFile(name string, data []byte) error {
	want, ok := cs.Lookup(name)
	if !ok {
		return fmt.Errorf("%s is not listed in %s", name, ChecksumsFile)
	}
	if got := sha256.Sum256(data); got != want {
		return fmt.Errorf("%w: %s has SHA-256 %x, but %s lists %x", ErrChecksumMismatch, name, got, ChecksumsFile, want)
	}
	return nil
}

// Sum is the SHA-256 of everything r yields.
func Sum(r io.Reader) ([sha256.Size]byte, error) {
	h := sha256.New()
	var s [sha256.Size]byte
	if _, err := io.Copy(h, r); err != nil {
		return s, err
	}
	copy(s[:], h.Sum(nil))
	return s, nil
}
