package oauth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// keySize is the length of a key file's key in bytes (AES-256).
const keySize = 32

// sealedPrefix starts every value a KeyFile seals.
const sealedPrefix = "oauth-sealed:v1:"

// ErrWrongKey: a sealed value does not open with this key (another key, or changed).
var ErrWrongKey = errors.New("wrong key")

// KeyFile seals credentials with a key of its own, kept in a file of mode 0600: the agent's
// counterpart of the hub's master key (docs/OAUTH-BACKENDS.md says why it is a separate file).
type KeyFile struct {
	aead cipher.AEAD
	path string
}

// LoadKeyFile reads the key in path, creating it (32 random bytes, base64, mode 0600, its
// directory 0700) the first time. A key file others can read is refused, as ssh does.
func LoadKeyFile(path string) (*KeyFile, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(path); err != nil {
			return nil, fmt.Errorf("oauth key %s: %w", path, err)
		}
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth key: %w", err)
	}
	if st, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("oauth key %s is readable by others (mode %04o): chmod 600 it", path, st.Mode().Perm())
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != keySize {
		return nil, fmt.Errorf("oauth key %s: want %d bytes in base64; remove the file to make a new key (every backend then needs a new login)", path, keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &KeyFile{aead: aead, path: path}, nil
}

// createKey writes a new random key; when another process was first, its key is kept.
func createKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	var key [keySize]byte
	rand.Read(key[:])
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key[:]) + "\n")
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

// Seal encrypts plaintext with AES-256-GCM, bound to where.
func (k *KeyFile) Seal(plaintext, where string) string {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(where))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts what Seal made with the same where.
func (k *KeyFile) Open(sealed, where string) (string, error) {
	body, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", fmt.Errorf("%s: not a sealed value", where)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return "", fmt.Errorf("%s: malformed sealed value", where)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(where))
	if err != nil {
		return "", fmt.Errorf("%s does not open with %s: %w", where, k.path, ErrWrongKey)
	}
	return string(plain), nil
}
