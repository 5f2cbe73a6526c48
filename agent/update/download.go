package update

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// Package is a downloaded, not yet verified release.
type Package struct {
	Release   Release
	Checksums []byte
	Signature []byte
	Archive   []byte
}

// Download fetches the archive, the checksums and the signature of rel, each with a size limit.
func (u *Updater) Download(ctx context.Context, rel *Release) (*Package, error) {
	ctx, cancel := context.WithTimeout(ctx, DownloadTimeout)
	defer cancel()
	p := &Package{Release: *rel}
	for _, f := range []struct {
		ref   string
		limit int64
		dst   *[]byte
	}{
		{rel.ChecksumsURL, release.MaxChecksumsSize, &p.Checksums},
		{rel.SignatureURL, release.MaxSignatureSize, &p.Signature},
		{rel.URL, release.MaxArchiveSize, &p.Archive},
	} {
		b, err := u.fetch(ctx, f.ref, f.limit)
		if err != nil {
			return nil, err
		}
		*f.dst = b
	}
	return p, nil
}

// fetch GETs ref (resolved against the hub) without credentials: downloads need none, and the
// URLs may point elsewhere.
func (u *Updater) fetch(ctx context.Context, ref string, limit int64) ([]byte, error) {
	target, err := u.hub.Parse(ref)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") {
		return nil, fmt.Errorf("download: the hub gave a bad URL %q", ref)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := u.o.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", target, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("download %s: %s: %s", target, resp.Status, hubError(b))
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("download %s: %d bytes is over the %d-byte limit", target, resp.ContentLength, limit)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", target, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("download %s: over the %d-byte limit", target, limit)
	}
	return b, nil
}
