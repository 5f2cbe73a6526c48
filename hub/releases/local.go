package releases

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// A hub without a [releases] table serves the releases it built itself (`mcp-gateway-hub
// releases build`) from its data directory, signed with a key it made and keeps there.
const (
	// LocalDir is the directory under the data dir that holds the hub's own releases.
	LocalDir = "releases"
	// LocalKeyDir holds the key pair that signs them: release.key (0600) and release.pub.
	LocalKeyDir = "release-signing"
	// LocalPrivateKey and LocalPublicKey are the key files in LocalKeyDir.
	LocalPrivateKey = "release.key"
	LocalPublicKey  = "release.pub"
)

// LocalPaths are where a hub with data directory dataDir keeps its own releases and their key.
type LocalPaths struct{ DataDir string }

// Releases is the release directory (<version>/… as in docs/UPDATE.md).
func (p LocalPaths) Releases() string { return filepath.Join(p.DataDir, LocalDir) }

// PrivateKey is the signing key file.
func (p LocalPaths) PrivateKey() string {
	return filepath.Join(p.DataDir, LocalKeyDir, LocalPrivateKey)
}

// PublicKey is the public key file; the install scripts carry its content.
func (p LocalPaths) PublicKey() string { return filepath.Join(p.DataDir, LocalKeyDir, LocalPublicKey) }

// ReadPublicKey returns the local public key (base64), or "" when none was made yet.
func (p LocalPaths) ReadPublicKey() (string, error) {
	if p.DataDir == "" {
		return "", nil
	}
	b, err := os.ReadFile(p.PublicKey())
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(b))
	if _, err := release.ParsePublicKey(key); err != nil {
		return "", fmt.Errorf("%s: %w", p.PublicKey(), err)
	}
	return key, nil
}

// SigningKey returns the local signing key, making the pair on first use (private 0600 in a
// 0700 directory). made reports whether it was made now.
func (p LocalPaths) SigningKey() (key ed25519.PrivateKey, pub string, made bool, err error) {
	b, err := os.ReadFile(p.PrivateKey())
	if err == nil {
		key, err := release.ParsePrivateKey(string(b))
		if err != nil {
			return nil, "", false, fmt.Errorf("%s: %w", p.PrivateKey(), err)
		}
		if info, err := os.Stat(p.PrivateKey()); err == nil && info.Mode().Perm()&0o077 != 0 {
			return nil, "", false, fmt.Errorf("%s is readable by other users (mode %o): chmod 600 it", p.PrivateKey(), info.Mode().Perm())
		}
		pub := release.EncodePublicKey(key.Public().(ed25519.PublicKey))
		if have, err := p.ReadPublicKey(); err != nil || have != pub {
			if err := os.WriteFile(p.PublicKey(), []byte(pub+"\n"), 0o644); err != nil {
				return nil, "", false, fmt.Errorf("write %s: %w", p.PublicKey(), err)
			}
		}
		return key, pub, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", false, fmt.Errorf("read the release signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p.PrivateKey()), 0o700); err != nil {
		return nil, "", false, fmt.Errorf("release signing key: %w", err)
	}
	pubText, privText, err := release.GenerateKey()
	if err != nil {
		return nil, "", false, err
	}
	f, err := os.OpenFile(p.PrivateKey(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, "", false, fmt.Errorf("release signing key: %w", err)
	}
	_, err = f.WriteString(privText + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, "", false, fmt.Errorf("write %s: %w", p.PrivateKey(), err)
	}
	if err := os.WriteFile(p.PublicKey(), []byte(pubText+"\n"), 0o644); err != nil {
		return nil, "", false, fmt.Errorf("write %s: %w", p.PublicKey(), err)
	}
	key, err = release.ParsePrivateKey(privText)
	return key, pubText, true, err
}
