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
		ref      string
		limit    int64
		dst      *[]byte
		progress func(done, total int64)
	}{
		{rel.ChecksumsURL, release.MaxChecksumsSize, &p.Checksums, nil},
		{rel.SignatureURL, release.MaxSignatureSize, &p.Signature, nil},
		{rel.URL, release.MaxArchiveSize, &p.Archive, u.o.Progress},
	} {
		b, err := u.fetch(ctx, f.ref, f.limit, f.progress)
		if err != nil {
			return nil, err
		}
		*f.dst = b
	}
	return p, nil
}

// fetch GETs ref (resolved against the hub) without credentials: downloads need none, and the
// URLs may point elsewhere.
func (u *Updater) fetch(ctx context.Context, ref string, limit int64, progress func(done, total int64)) ([]byte, error) {
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
	var body io.Reader = io.LimitReader(resp.Body, limit+1)
	pr := &progressReader{r: body, total: resp.ContentLength, report: progress}
	if progress != nil {
		body = pr
	}
	b, err := io.ReadAll(body)
	if progress != nil && err == nil && pr.reported != int64(len(b)) {
		progress(int64(len(b)), resp.ContentLength)
	}
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", target, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("download %s: over the %d-byte limit", target, limit)
	}
	return b, nil
}

// ProgressStep is how much of a download passes between two progress reports: a tenth of it,
// or 1 MiB when its length is unknown.
func ProgressStep(total int64) int64 {
	if total > 0 {
		return max(total/10, 1)
	}
	return 1 << 20
}

// progressReader reports the bytes read every ProgressStep.
type progressReader struct {
	r           io.Reader
	total, done int64
	next        int64
	reported    int64
	report      func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.next == 0 {
		p.next = ProgressStep(p.total)
	}
	if p.done >= p.next && err == nil && (p.total <= 0 || p.done < p.total) { // the end is reported by fetch
		p.report(p.done, p.total)
		p.reported = p.done
		for p.next <= p.done {
			p.next += ProgressStep(p.total)
		}
	}
	return n, err
}
