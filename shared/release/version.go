package release

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a parsed release version: v1.2.3, v1.2.3-rc.1, 1.2.3+build (the leading v and
// build metadata are optional; build metadata does not take part in ordering).
type Version struct {
	Major, Minor, Patch uint64
	Pre                 []string // dot-separated pre-release identifiers; empty for a release
	raw                 string
}

// String is the version as it was written.
func (v Version) String() string { return v.raw }

// Prerelease reports whether v has a pre-release part (-rc.1 …).
func (v Version) Prerelease() bool { return len(v.Pre) > 0 }

// ParseVersion parses a version; "dev" and other non-versions are errors.
func ParseVersion(s string) (Version, error) {
	v := Version{raw: s}
	rest := strings.TrimPrefix(s, "v")
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		if err := checkIdents(rest[i+1:], false); err != nil {
			return v, fmt.Errorf("version %q: build metadata: %w", s, err)
		}
		rest = rest[:i]
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		if err := checkIdents(rest[i+1:], true); err != nil {
			return v, fmt.Errorf("version %q: pre-release: %w", s, err)
		}
		v.Pre = strings.Split(rest[i+1:], ".")
		rest = rest[:i]
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return v, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH, like v1.2.3", s)
	}
	nums := []*uint64{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, err := parseNum(p)
		if err != nil {
			return v, fmt.Errorf("version %q: %w", s, err)
		}
		*nums[i] = n
	}
	return v, nil
}

func parseNum(p string) (uint64, error) {
	if p == "" || (len(p) > 1 && p[0] == '0') {
		return 0, fmt.Errorf("%q is not a number without leading zeros", p)
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%q is not a number", p)
		}
	}
	n, err := strconv.ParseUint(p, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", p)
	}
	return n, nil
}

// checkIdents checks dot-separated identifiers of [0-9A-Za-z-]; in a pre-release, numeric
// identifiers may not have leading zeros.
func checkIdents(s string, pre bool) error {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return fmt.Errorf("empty identifier in %q", s)
		}
		numeric := true
		for _, r := range id {
			switch {
			case r >= '0' && r <= '9':
			case r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
				numeric = false
			default:
				return fmt.Errorf("%q may contain only letters, digits and '-'", id)
			}
		}
		if pre && numeric && len(id) > 1 && id[0] == '0' {
			return fmt.Errorf("%q has a leading zero", id)
		}
	}
	return nil
}

// Compare orders versions by semantic-versioning precedence: -1 if v < w, 0 if equal, +1 if v > w.
// A pre-release sorts before its release (v1.2.0-rc.1 < v1.2.0).
func (v Version) Compare(w Version) int {
	for _, p := range [][2]uint64{{v.Major, w.Major}, {v.Minor, w.Minor}, {v.Patch, w.Patch}} {
		if p[0] != p[1] {
			return cmpUint(p[0], p[1])
		}
	}
	switch {
	case len(v.Pre) == 0 && len(w.Pre) == 0:
		return 0
	case len(v.Pre) == 0:
		return 1
	case len(w.Pre) == 0:
		return -1
	}
	for i := 0; i < len(v.Pre) && i < len(w.Pre); i++ {
		if c := comparePre(v.Pre[i], w.Pre[i]); c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(v.Pre)), uint64(len(w.Pre)))
}

func comparePre(a, b string) int {
	na, errA := strconv.ParseUint(a, 10, 64)
	nb, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return cmpUint(na, nb)
	case errA == nil: // numeric identifiers sort before alphanumeric ones
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SameVersion reports whether a and b name one version: by precedence when both parse
// (v1.2.0 and 1.2.0 are one), and as strings otherwise ("dev").
func SameVersion(a, b string) bool {
	va, errA := ParseVersion(a)
	vb, errB := ParseVersion(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return va.Compare(vb) == 0
}
