package update

import (
	"errors"
	"fmt"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// Verify checks a downloaded package and returns the new binary. The order matters: the
// signature proves checksums.txt came from the release key holder; the checksums then prove
// the archive is the one signed; the archive's name in the signed file proves its version,
// which must be newer than the running one. Nothing the hub says is trusted on its own.
func (u *Updater) Verify(p *Package) ([]byte, error) {
	rel := p.Release
	if err := release.Verify(u.o.Keys, p.Checksums, p.Signature); err != nil {
		if errors.Is(err, release.ErrNoKeys) {
			return nil, fmt.Errorf("refusing the update to %s: %w: this build has no key compiled in and [agent] release_public_key is not set", rel.Version, err)
		}
		return nil, fmt.Errorf("refusing the update to %s: wrong signature: %w", rel.Version, err)
	}
	sums, err := release.ParseChecksums(p.Checksums)
	if err != nil {
		return nil, fmt.Errorf("refusing the update to %s: %w", rel.Version, err)
	}
	name := release.ArchiveName(rel.Version, u.o.OS, u.o.Arch)
	if _, ok := sums.Lookup(name); !ok {
		return nil, fmt.Errorf("refusing the update to %s: %w (no %s in the signed %s)", rel.Version, ErrNotSigned, name, release.ChecksumsFile)
	}
	if err := sums.VerifyFile(name, p.Archive); err != nil {
		return nil, fmt.Errorf("refusing the update to %s: the archive was tampered with or corrupted: %w", rel.Version, err)
	}
	if err := u.checkVersion(rel.Version); err != nil {
		return nil, err
	}
	bin, err := release.ExtractBinary(p.Archive, name, u.o.OS)
	if err != nil {
		return nil, fmt.Errorf("refusing the update to %s: %w", rel.Version, err)
	}
	return bin, nil
}

// checkVersion refuses anything but a newer version than the running one.
func (u *Updater) checkVersion(offered string) error {
	next, err := release.ParseVersion(offered)
	if err != nil {
		return fmt.Errorf("refusing the update: %w", err)
	}
	cur, err := release.ParseVersion(u.o.Current)
	if err != nil {
		return fmt.Errorf("refusing the update to %s: %w (version %q), which does not update itself", offered, ErrDevBuild, u.o.Current)
	}
	switch c := next.Compare(cur); {
	case c < 0:
		return fmt.Errorf("%w from %s to %s: the hub offers an older release than the one running", ErrDowngrade, u.o.Current, offered)
	case c == 0:
		return fmt.Errorf("%w (%s)", ErrSame, offered)
	}
	return nil
}
