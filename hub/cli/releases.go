package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/releases"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

const releasesUsage = `Usage:
  mcp-gateway-hub releases build [--source DIR] [--targets os/arch,…] [--version V] [--data-dir DIR | --config FILE]
                                                     build the agent from this source tree for the release
                                                     platforms, archive and sign it with a key kept in the data
                                                     dir; the hub serves it at /install.sh with no [releases] set
  mcp-gateway-hub releases keygen --out DIR          write a release signing key pair:
                                                     DIR/release.key (private, 0600) and DIR/release.pub
  mcp-gateway-hub releases sign --key FILE FILE      sign a checksums.txt; writes FILE.sig
  mcp-gateway-hub releases verify --pub FILE FILE    check FILE.sig against a public key
Releases, signing and rollout are described in docs/UPDATE.md.
`

// Names of the key files written by `releases keygen`.
const (
	PrivateKeyFile = "release.key"
	PublicKeyFile  = "release.pub"
)

func releasesCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, releasesUsage)
		return ErrUsage
	}
	if args[0] == "build" {
		return buildCmd(ctx, args[1:], env)
	}
	fs := releasesFlags("releases "+args[0], env)
	out := fs.String("out", "", "directory for the key pair (keygen)")
	key := fs.String("key", "", "private key file (sign)")
	pub := fs.String("pub", "", "public key file (verify)")
	if err := fs.Parse(args[1:]); err != nil {
		return ErrUsage
	}
	switch {
	case args[0] == "keygen" && *out != "" && fs.NArg() == 0:
		return keygen(*out, env)
	case args[0] == "sign" && *key != "" && fs.NArg() == 1:
		return signFile(*key, fs.Arg(0), env)
	case args[0] == "verify" && *pub != "" && fs.NArg() == 1:
		return verifyFile(*pub, fs.Arg(0), env)
	}
	fmt.Fprint(env.Stderr, releasesUsage)
	return ErrUsage
}

func releasesFlags(name string, env Env) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return &flagSet{FlagSet: fs}
}

func keygen(dir string, env Env) error {
	privPath, pubPath := filepath.Join(dir, PrivateKeyFile), filepath.Join(dir, PublicKeyFile)
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists; refusing to overwrite a release key (move it away first)", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	pub, priv, err := release.GenerateKey()
	if err != nil {
		return err
	}
	if err := writeNew(privPath, priv+"\n", 0o600); err != nil {
		return err
	}
	if err := writeNew(pubPath, pub+"\n", 0o644); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Wrote %s (private: keep it offline, it signs releases) and %s.\n\n", privPath, pubPath)
	fmt.Fprintf(env.Stdout, "Public key:\n\n    %s\n\nBuild agents that trust it with\n    -ldflags \"-X github.com/mcp-gateway/mcp-gateway/shared/version.ReleaseKey=%s\"\nor set [agent] release_public_key = %q in the agents' config.toml.\n", pub, pub, pub)
	return nil
}

func writeNew(path, content string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("keygen: write %s: %w", path, err)
	}
	return f.Close()
}

func signFile(keyPath, file string, env Env) error {
	if info, err := os.Stat(keyPath); err == nil && info.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(env.Stderr, "warning: %s is readable by other users (mode %o); chmod 600 it\n", keyPath, info.Mode().Perm())
	}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return fmt.Errorf("read signing key: %w", err)
	}
	key, err := release.ParsePrivateKey(string(b))
	if err != nil {
		return fmt.Errorf("%s: %w", keyPath, err)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	if filepath.Base(file) == release.ChecksumsFile {
		if _, err := release.ParseChecksums(text); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	if err := os.WriteFile(file+".sig", release.Sign(key, text), 0o644); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	fmt.Fprintf(env.Stdout, "Wrote %s.sig\n", file)
	return nil
}

func verifyFile(pubPath, file string, env Env) error {
	b, err := os.ReadFile(pubPath)
	if err != nil {
		return fmt.Errorf("read public key: %w", err)
	}
	pub, err := release.ParsePublicKey(string(b))
	if err != nil {
		return fmt.Errorf("%s: %w", pubPath, err)
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	sig, err := os.ReadFile(file + ".sig")
	if err != nil {
		return fmt.Errorf("read signature: %w", err)
	}
	if err := release.Verify([]ed25519.PublicKey{pub}, text, sig); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: good signature\n", file)
	return nil
}

func buildCmd(ctx context.Context, args []string, env Env) error {
	f, fs, _ := parse("releases build", args, env, false)
	source := fs.String("source", ".", "the hub's source tree (a checkout of "+releases.Module+")")
	targets := fs.String("targets", strings.Join(release.Platforms(), ","), "os/arch pairs to build, comma-separated")
	ver := fs.String("version", "", "release version (default: the hub's own, else v0.0.0-dev.TIME)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprint(env.Stderr, releasesUsage)
		return ErrUsage
	}
	c, err := f.load()
	if err != nil {
		return err
	}
	if c.DataDir == "" {
		return errors.New("releases build: no data directory (set --data-dir or data_dir): the release and its signing key are kept there")
	}
	v := *ver
	if v == "" {
		v = releases.BuildVersion(version.Current(), time.Now())
	}
	var list []string
	for _, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			list = append(list, t)
		}
	}
	p := releases.LocalPaths{DataDir: c.DataDir}
	b, err := releases.Build(ctx, releases.BuildOptions{Source: *source, Version: v, Targets: list, Paths: p, Progress: env.Stdout})
	if err != nil {
		return err
	}
	if b.KeyMade {
		fmt.Fprintf(env.Stdout, "Made a release signing key: %s (0600; keep it, agents built now trust only it) and %s.\n", p.PrivateKey(), p.PublicKey())
	}
	fmt.Fprintf(env.Stdout, "Release %s for %s written to %s, signed (public key %s).\n", b.Version, strings.Join(b.Targets, ", "), b.Dir, b.PublicKey)
	if c.Releases.Enabled() {
		fmt.Fprintf(env.Stdout, "Note: this hub's configuration has a [releases] table, so it serves those releases, not this one;\n"+
			"remove the table to serve the releases it builds, or set [releases] dir = %q and trust the key above.\n", p.Releases())
		return nil
	}
	fmt.Fprintf(env.Stdout, "A hub on this data directory serves it now (no restart): install an agent with\n\n"+
		"    curl -fsSL %s/install.sh | sh\n\n", hubBase(c))
	return nil
}

// hubBase is the hub's URL as this configuration gives it, for printed instructions.
func hubBase(c config.Config) string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + c.Listen
}
