package policy

import (
	"path"
	"strings"
)

// A path argument reaches a backend as a string the backend interprets: it may trim it,
// cut it at a NUL byte, take it as a file: URI, percent-decode it, expand ~ or $HOME, follow
// /proc/self/root, or (on Windows) drop a \\?\ prefix, trailing dots and :streams. "under"
// therefore judges every plausible reading of the string (readings), in the rule's safe
// direction: a lenient test (a deny rule's "under") holds when ANY reading is inside the
// directory, a strict one (an allow rule's) only when EVERY reading is, the string as
// written included. What a backend does beyond these (its symbolic links, its working
// directory) no gateway can see: docs/POLICY.md says so.

// maxReadings bounds the readings of one string. A string with more (layers of encodings
// and prefixes) is judged without them: under for a lenient test, not under for a strict one.
const maxReadings = 32

// underRead reports whether the path p is dir or inside it; dir is cleaned and absolute.
func underRead(p, dir string, lenient bool) bool {
	if !needsReadings(p) {
		return underOne(p, dir, lenient)
	}
	var buf [8]string
	rs, complete := readings(p, dir, buf[:0])
	if !complete {
		return lenient
	}
	for _, r := range rs {
		if underOne(r, dir, lenient) == lenient {
			return lenient
		}
	}
	return !lenient
}

// underOne judges one reading: cleaned lexically, compared without regard to case when
// lenient. A relative reading is under no directory.
func underOne(p, dir string, lenient bool) bool {
	p, ok := cleanAbs(p)
	if !ok {
		return false
	}
	prefix := strings.HasPrefix(p, dir)
	if lenient {
		prefix = len(p) >= len(dir) && strings.EqualFold(p[:len(dir)], dir)
	}
	if strings.HasSuffix(dir, "/") { // a root: "/" or "C:/"
		return prefix
	}
	return prefix && (len(p) == len(dir) || p[len(dir)] == '/')
}

// needsReadings reports whether p could be read otherwise than as written: the common
// plain path takes the fast way, with no allocation.
func needsReadings(p string) bool {
	if p == "" {
		return false
	}
	if trimmable(p[0]) || trimmable(p[len(p)-1]) {
		return true
	}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '%', '~', '$', ':', '?', 0:
			return true
		case '/', '\\':
			if i > 0 && (p[i-1] == '.' || p[i-1] == ' ') && !dotsOnly(p, i) {
				return true // a trailing dot or space in an element: Windows drops it
			}
		}
	}
	if c := p[len(p)-1]; (c == '.' || c == ' ') && !dotsOnly(p, len(p)) {
		return true
	}
	return strings.Contains(p, "proc") || strings.HasPrefix(p, `\\.\`) || strings.HasPrefix(p, "//./")
}

// trimmable reports whether trimmed may drop c at an end of a string: ASCII white space,
// a quote, or the first or last byte of a non-ASCII character (U+0085, U+00A0, …).
func trimmable(c byte) bool {
	return c == ' ' || '\t' <= c && c <= '\r' || c == '"' || c == '\'' || c >= 0x80
}

// dotsOnly reports whether the element of p that ends at end is "." or "..".
func dotsOnly(p string, end int) bool {
	start := strings.LastIndexAny(p[:end], `/\`) + 1
	e := p[start:end]
	return e == "." || e == ".."
}

// readings returns p and every string it may stand for, found by applying the
// interpretations below to each reading until no new one appears; complete is false when
// there were more than maxReadings.
func readings(p, dir string, out []string) (rs []string, complete bool) {
	out = append(out, p)
	add := func(s string) bool {
		for _, r := range out {
			if r == s {
				return true
			}
		}
		if len(out) == maxReadings {
			return false
		}
		out = append(out, s)
		return true
	}
	for i := 0; i < len(out); i++ {
		s := out[i]
		for _, next := range [...]func(string) string{trimmed, cutAtNUL, percentDecoded, procRoot, windowsDevice, windowsElements} {
			if t := next(s); t != s && !add(t) {
				return out, false
			}
		}
		if rest, ok := fileURI(s); ok {
			for _, t := range rest {
				if t != "" && !add(t) {
					return out, false
				}
			}
		}
		if user, rest, ok := homeRelative(s); ok {
			for _, h := range homes(user, dir) {
				if !add(h + "/" + rest) {
					return out, false
				}
			}
		}
	}
	return out, true
}

// trimmed drops surrounding white space and one pair of surrounding quotes.
func trimmed(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	return s
}

// cutAtNUL is what a C program sees of s.
func cutAtNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// percentDecoded decodes %XX escapes (once; readings decode again what this gives).
func percentDecoded(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var sb strings.Builder
	for ; i >= 0; i = strings.IndexByte(s, '%') {
		if i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			sb.WriteString(s[:i])
			sb.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			s = s[i+3:]
			continue
		}
		sb.WriteString(s[:i+1])
		s = s[i+1:]
	}
	sb.WriteString(s)
	return sb.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// fileURI reads a file: URI (RFC 8089) as paths: file:///p, file:/p, file://localhost/p,
// file:///C:/p; with another host, both the UNC path //host/p and the local /p (a backend
// may ignore the host). Percent-escapes are left to percentDecoded.
func fileURI(s string) ([]string, bool) {
	if len(s) < 5 || !strings.EqualFold(s[:5], "file:") {
		return nil, false
	}
	rest := s[5:]
	if !strings.HasPrefix(rest, "//") {
		return []string{driveFix(rest)}, true
	}
	rest = rest[2:]
	host, p := rest, ""
	if i := strings.IndexAny(rest, `/\`); i >= 0 {
		host, p = rest[:i], rest[i:]
	}
	if host == "" || strings.EqualFold(host, "localhost") {
		return []string{driveFix(p)}, true
	}
	return []string{"//" + host + p, driveFix(p)}, true
}

// driveFix turns a URI path "/C:/x" into the drive path "C:/x".
func driveFix(p string) string {
	if len(p) >= 3 && (p[0] == '/' || p[0] == '\\') && isLetter(p[1]) && p[2] == ':' {
		return p[1:]
	}
	return p
}

// procRoot reads /proc/self/root/x (also thread-self, a pid, a task) as /x: the same file
// on Linux, through the process's root.
func procRoot(s string) string {
	c, ok := cleanAbs(s)
	if !ok || !strings.HasPrefix(c, "/proc/") {
		return s
	}
	elems := strings.SplitN(c[len("/proc/"):], "/", 5)
	n := 0 // elements of the prefix before "root"
	switch {
	case len(elems) >= 2 && (elems[0] == "self" || elems[0] == "thread-self" || isNumber(elems[0])) && elems[1] == "root":
		n = 1
	case len(elems) >= 4 && (elems[0] == "self" || isNumber(elems[0])) && elems[1] == "task" && isNumber(elems[2]) && elems[3] == "root":
		n = 3
	default:
		return s
	}
	return "/" + strings.Join(elems[n+1:], "/")
}

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// windowsDevice drops the Win32 device prefixes \\?\ and \\.\ (and the NT \??\) before a
// drive path; \\?\UNC\host\share is //host/share.
func windowsDevice(s string) string {
	t := strings.ReplaceAll(s, `\`, "/")
	for _, pre := range [...]string{"//?/", "//./", "/??/"} {
		if !strings.HasPrefix(t, pre) {
			continue
		}
		rest := t[len(pre):]
		if len(rest) >= 4 && strings.EqualFold(rest[:4], "UNC/") {
			return "//" + rest[4:]
		}
		return rest
	}
	return s
}

// windowsElements drops what Windows ignores in a path element: trailing dots and spaces
// (C:/Windows./x is C:/Windows/x) and an NTFS stream (secret::$DATA, dir::$INDEX_ALLOCATION).
func windowsElements(s string) string {
	t := strings.ReplaceAll(s, `\`, "/")
	elems := strings.Split(t, "/")
	changed := false
	for i, e := range elems {
		if i == 0 && len(e) == 2 && e[1] == ':' && isLetter(e[0]) {
			continue // the drive
		}
		if j := strings.IndexByte(e, ':'); j >= 0 {
			e = e[:j]
		}
		if e != "." && e != ".." {
			e = strings.TrimRight(e, ". ")
		}
		if e != elems[i] {
			elems[i], changed = e, true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(elems, "/")
}

// homeRelative splits a path that starts in a home directory: "~", "~/x", "~user/x",
// "$HOME/x", "${HOME}/x", "%USERPROFILE%\x", "%HOME%/x". user is "" for the caller's own.
func homeRelative(s string) (user, rest string, ok bool) {
	for _, pre := range [...]string{"$HOME", "${HOME}", "%USERPROFILE%", "%HOME%"} {
		if len(s) >= len(pre) && strings.EqualFold(s[:len(pre)], pre) {
			if r := s[len(pre):]; r == "" || r[0] == '/' || r[0] == '\\' {
				return "", strings.TrimLeft(r, `/\`), true
			}
		}
	}
	if s == "" || s[0] != '~' {
		return "", "", false
	}
	end := strings.IndexAny(s, `/\`)
	if end < 0 {
		end = len(s)
	}
	return s[1:end], strings.TrimLeft(s[end:], `/\`), true
}

// homes lists where a home directory may be, for a user ("" when unknown: then the name
// in dir, as in /home/bob/.ssh, else a placeholder that only matters when dir holds
// homes or the path leaves its home with ..).
func homes(user, dir string) []string {
	name := user
	if name == "" {
		name = "~"
		for _, base := range [...]string{"/home/", "/Users/", "C:/Users/"} {
			if len(dir) > len(base) && strings.EqualFold(dir[:len(base)], base) {
				name, _, _ = strings.Cut(dir[len(base):], "/")
				break
			}
		}
	}
	hs := []string{"/home/" + name, "/Users/" + name, "C:/Users/" + name}
	if user == "" || user == "root" {
		hs = append(hs, "/root", "/var/root")
	}
	return hs
}

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }

// cleanAbs cleans an absolute path ("/x" or a drive path "C:/x"); ok is false for a relative
// one or one with a NUL byte.
func cleanAbs(p string) (string, bool) {
	p = strings.ReplaceAll(p, `\`, "/")
	if strings.IndexByte(p, 0) >= 0 {
		return "", false
	}
	if len(p) >= 3 && p[1] == ':' && p[2] == '/' && isLetter(p[0]) {
		return p[:2] + path.Clean(p[2:]), true
	}
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	return path.Clean(p), true
}
