package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password rules, counted in characters (Unicode code points).
const (
	MinPasswordLen = 12
	MaxPasswordLen = 1024
)

// Argon2id parameters for new hashes: the OWASP recommendation (19 MiB, 2 passes, 1 lane).
// Stored hashes carry their own parameters, so these can grow without breaking old ones.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Bounds on the parameters of a stored hash, so a tampered row cannot make a login
// allocate gigabytes or spin for minutes.
const (
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonTime    = 16
	maxArgonThreads = 16
)

// ErrMalformedHash: a stored password hash is not an argon2id PHC string this package accepts.
var ErrMalformedHash = errors.New("malformed password hash")

// CheckPassword applies the password rules: at least MinPasswordLen and at most
// MaxPasswordLen characters, valid UTF-8, no control characters.
func CheckPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return errors.New("password is not valid UTF-8")
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return fmt.Errorf("password is too short: %d characters, at least %d required", n, MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("password is too long: %d characters, at most %d allowed", n, MaxPasswordLen)
	}
	for _, r := range pw {
		if r < 0x20 || r == 0x7f {
			return errors.New("password contains a control character")
		}
	}
	return nil
}

// HashPassword checks pw against the rules and returns its argon2id hash in PHC form:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
func HashPassword(pw string) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt) // crypto/rand.Read never fails (Go ≥ 1.24)
	p := argonParams{memory: argonMemory, time: argonTime, threads: argonThreads}
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, argonKeyLen)
	return p.format(salt, key), nil
}

// VerifyPassword reports whether pw matches hash, comparing in constant time. An error
// means the hash itself is unusable (ErrMalformedHash), not that the password is wrong.
func VerifyPassword(hash, pw string) (bool, error) {
	p, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	if len(pw) > 4*MaxPasswordLen { // more bytes than MaxPasswordLen characters can take
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

type argonParams struct {
	memory  uint32
	time    uint32
	threads uint8
}

func (p argonParams) format(salt, key []byte) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC parses exactly the form format writes, with bounded parameters.
func parsePHC(s string) (argonParams, []byte, []byte, error) {
	var p argonParams
	bad := func(why string) (argonParams, []byte, []byte, error) {
		return p, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if len(s) > 512 {
		return bad("too long")
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("want $argon2id$v=…$m=…,t=…,p=…$salt$hash")
	}
	if parts[1] != "argon2id" {
		return bad(fmt.Sprintf("algorithm %q, want argon2id", parts[1]))
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad(fmt.Sprintf("version %q, want v=%d", parts[2], argon2.Version))
	}
	m, t, th, ok := parseParams(parts[3])
	if !ok {
		return bad("parameters must be m=<KiB>,t=<passes>,p=<lanes>")
	}
	if m < 8*uint64(th) || m > maxArgonMemory || t < 1 || t > maxArgonTime || th < 1 || th > maxArgonThreads {
		return bad(fmt.Sprintf("parameters m=%d,t=%d,p=%d out of range", m, t, th))
	}
	p = argonParams{memory: uint32(m), time: uint32(t), threads: uint8(th)}
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return bad("salt must be 8 to 64 bytes of unpadded base64")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return bad("hash must be 16 to 64 bytes of unpadded base64")
	}
	return p, salt, key, nil
}

// parseParams parses "m=N,t=N,p=N" in that order, decimal without sign or leading zeros.
func parseParams(s string) (m, t, p uint64, ok bool) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return 0, 0, 0, false
	}
	vals := [3]uint64{}
	for i, name := range []string{"m=", "t=", "p="} {
		v, found := strings.CutPrefix(fields[i], name)
		if !found || v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') || strings.TrimLeft(v, "0123456789") != "" {
			return 0, 0, 0, false
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		vals[i] = n
	}
	return vals[0], vals[1], vals[2], true
}
