package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Keys and signatures are written as standard base64 on one line: a public key is the raw
// 32 bytes, a private key the 32-byte seed, a signature the raw 64 bytes.

// GenerateKey makes a new signing key pair, encoded for the key files.
func GenerateKey() (public, private string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	return EncodePublicKey(pub), base64.StdEncoding.EncodeToString(priv.Seed()), nil
}

// EncodePublicKey writes a public key as the key files and install scripts carry it.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey decodes a base64 public key (surrounding whitespace is ignored).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("release public key is not base64: %w", err)
	}
	if len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("release public key has %d bytes, want %d (Ed25519)", len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

// ParsePrivateKey decodes a base64 private key seed as written by GenerateKey.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("release signing key is not base64: %w", err)
	}
	if len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("release signing key has %d bytes, want a %d-byte Ed25519 seed", len(b), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// Sign signs the exact bytes of a checksums file and returns the signature file's content.
func Sign(key ed25519.PrivateKey, checksums []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, checksums)) + "\n")
}

// ErrBadSignature means no trusted key signed these checksums.
var ErrBadSignature = errors.New("bad release signature")

// ErrNoKeys means the agent has no release key to verify with.
var ErrNoKeys = errors.New("no release public key is configured")

// Verify checks that one of keys signed the exact bytes of checksums. sig is the signature
// file's content.
func Verify(keys []ed25519.PublicKey, checksums, sig []byte) error {
	if len(keys) == 0 {
		return ErrNoKeys
	}
	if len(sig) > MaxSignatureSize {
		return fmt.Errorf("%w: signature file is larger than %d bytes", ErrBadSignature, MaxSignatureSize)
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(sig)))
	if err != nil {
		return fmt.Errorf("%w: %s is not base64: %w", ErrBadSignature, SignatureFile, err)
	}
	if len(raw) != ed25519.SignatureSize {
		return fmt.Errorf("%w: signature has %d bytes, want %d", ErrBadSignature, len(raw), ed25519.SignatureSize)
	}
	for _, k := range keys {
		if ed25519.Verify(k, checksums, raw) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s was not signed by a trusted release key (%d key(s) tried)", ErrBadSignature, ChecksumsFile, len(keys))
}
