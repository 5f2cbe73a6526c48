// Package masterkey loads the hub's master key (MCPGW_MASTER_KEY, or master.key in the data
// directory, created with mode 0600 at first start) and seals secrets at rest with it:
// AES-256-GCM, bound to where the value is stored. See docs/INSTALL.md, "The master key".
// LoadFile gives the same for a key file of another purpose (the agent's oauth.key).
package masterkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvVar gives the key in the environment; it wins over the file.
const EnvVar = "MCPGW_MASTER_KEY"

// FileName is the key's file in the data directory.
const FileName = "master.key"

// Size is the key's length in bytes (AES-256).
const Size = 32

// prefix starts every sealed value: "sealed:v1:<key id>:<base64url of nonce and ciphertext>".
const prefix = "sealed:v1:"

// Errors a caller branches on.
var (
	// ErrWrongKey: the value was sealed with another key, or was changed.
	ErrWrongKey = errors.New("wrong master key")
	// ErrNoKey: a value must be sealed or opened and there is no key.
	ErrNoKey = errors.New("no master key")
)

// Key is a loaded master key. Its methods may be called from any goroutine.
type Key struct {
	aead   cipher.AEAD
	id     string   // first 4 bytes of SHA-256 of the key, hex: names it in errors, never reveals it
	forms  []string // how the key is written: the text given, hex and base64 of its bytes
	source string   // where it came from: EnvVar or the file's path
	derive []byte   // HMAC-SHA256 key for Derive: itself derived, so the key's bytes are not kept
	name   string   // what errors call it: "master key", or LoadFile's name
	hint   string   // LoadFile's advice when a value does not open; "" for the hub's own advice
}

// Load returns the key given in the environment (fromEnv, the value of EnvVar) or, without
// one, the key in dataDir's FileName, creating that file (mode 0600) the first time.
func Load(dataDir, fromEnv string) (*Key, error) {
	if fromEnv != "" {
		k, err := Parse(fromEnv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvVar, err)
		}
		k.source = EnvVar
		return k, nil
	}
	if dataDir == "" {
		return nil, fmt.Errorf("%w: set %s or a data directory", ErrNoKey, EnvVar)
	}
	return loadOrCreate(filepath.Join(dataDir, FileName), "master key")
}

// LoadFile returns the key in path, creating it (mode 0600, its directory 0700) the first
// time, like the hub's master.key; a file others can read is refused. name is what errors
// call the key ("oauth key"); hint is the advice an error gives when a value does not open
// with it.
func LoadFile(path, name, hint string) (*Key, error) {
	k, err := loadOrCreate(path, name)
	if err != nil {
		return nil, err
	}
	k.hint = hint
	return k, nil
}

func loadOrCreate(path, name string) (*Key, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := create(path); err != nil {
			return nil, fmt.Errorf("%s %s: %w", name, path, err)
		}
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if st, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s is readable by others (mode %04o): chmod 600 it", name, path, st.Mode().Perm())
	}
	k, err := Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, path, err)
	}
	k.source, k.name = path, name
	return k, nil
}

// create writes a new random key; when another process was first, its key is kept. The key
// is written to a temporary file and linked into place, so a concurrent reader never sees a
// half-written key.
func create(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var b [Size]byte
	rand.Read(b[:])
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(b[:]) + "\n")
	if serr := f.Sync(); err == nil {
		err = serr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// Parse reads a key written as 64 hex digits or as base64 (standard or URL alphabet,
// padded or not) of 32 bytes; surrounding space is ignored.
func Parse(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	var b []byte
	if len(text) == 2*Size {
		b, _ = hex.DecodeString(text)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if len(b) == Size {
			break
		}
		b, _ = enc.DecodeString(text)
	}
	if len(b) != Size {
		return nil, fmt.Errorf("a master key is %d random bytes written as 64 hex digits or as base64 (like `openssl rand -base64 32`)", Size)
	}
	block, err := aes.NewCipher(b)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	dm := hmac.New(sha256.New, b)
	dm.Write([]byte("mcp-gateway masterkey derive v1"))
	return &Key{aead: aead, id: hex.EncodeToString(sum[:4]), source: "given", name: "master key", derive: dm.Sum(nil),
		forms: []string{text, hex.EncodeToString(b), base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}}, nil
}

// Derive returns a 32-byte secret for one purpose (label), the same from the same key on
// every hub: HMAC-SHA256 with a key derived from the master key. Different labels give
// independent secrets, and none reveals the master key.
func (k *Key) Derive(label string) []byte {
	m := hmac.New(sha256.New, k.derive)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// ID names the key (a hash prefix) in errors and logs.
func (k *Key) ID() string { return k.id }

// Source says where the key came from: EnvVar or the file's path.
func (k *Key) Source() string { return k.source }

// Forms are the ways the key is written, for scrubbing from text that must not carry it.
func (k *Key) Forms() []string { return append([]string(nil), k.forms...) }

// IsSealed reports whether s is a sealed value (of any key).
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// Seal encrypts plaintext, bound to where (the place the value is stored, such as
// "backend:github"): a sealed value moved elsewhere does not open.
func (k *Key) Seal(plaintext, where string) string {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(where))
	return prefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts a value sealed by Seal with the same where. A value of another key, or one
// changed or moved, is ErrWrongKey with a message naming both keys' ids.
func (k *Key) Open(sealed, where string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	id, body, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return "", fmt.Errorf("%s: not a sealed value (want %s<key id>:<data>)", where, prefix)
	}
	if k == nil {
		return "", fmt.Errorf("%s is sealed with master key %s, and there is none: %w (set %s, or keep %s in the data directory)",
			where, id, ErrNoKey, EnvVar, FileName)
	}
	if id != k.id {
		if k.hint != "" {
			return "", fmt.Errorf("%s is sealed with %s %s, but the %s in %s is %s: %w; %s", where, k.name, id, k.name, k.source, k.id, ErrWrongKey, k.hint)
		}
		return "", fmt.Errorf("%s is sealed with master key %s, but this hub's key (%s) is %s: %w; set %s to the key it was sealed with, or restore that %s",
			where, id, k.source, k.id, ErrWrongKey, EnvVar, FileName)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return "", fmt.Errorf("%s: sealed value is damaged: %w", where, ErrWrongKey)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(where))
	if err != nil {
		return "", fmt.Errorf("%s: sealed value does not open with %s %s (changed, or moved from elsewhere): %w", where, k.name, k.id, ErrWrongKey)
	}
	return string(plain), nil
}
