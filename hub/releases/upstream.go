package releases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// upstream proxies a release server laid out as <base>/<version>/<file>. Checksums files
// and the newest version are cached for cfg.UpstreamCache; archives stream through.
type upstream struct {
	base, latestURL string
	ttl             time.Duration
	client          *http.Client

	mu     sync.Mutex
	cached map[string]cachedSums // by version; "" is the newest release
}

type cachedSums struct {
	sums    release.Checksums
	raw     []byte // the file as the upstream sent it: its signature covers these bytes
	version string
	at      time.Time
	missing error // the upstream's 404, remembered like a hit so that asking again is free
}

// maxCachedVersions bounds the cache; past it, it is emptied.
const maxCachedVersions = 64

func newUpstream(cfg config.Releases, client *http.Client) *upstream {
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	return &upstream{
		base: strings.TrimSuffix(cfg.Upstream, "/"), latestURL: cfg.LatestURL(),
		ttl: cfg.UpstreamCache.Duration, client: client, cached: map[string]cachedSums{},
	}
}

func (u *upstream) newest(ctx context.Context) (string, error) {
	c, err := u.sums(ctx, "", u.latestURL)
	if err != nil {
		return "", err
	}
	return c.version, nil
}

// previous is unknown at an upstream: agents outside the rollout get no update.
func (u *upstream) previous(context.Context, release.Version) (string, error) { return "", nil }

func (u *upstream) checksums(ctx context.Context, version string) (release.Checksums, error) {
	c, err := u.sums(ctx, version, u.base+"/"+version+"/"+release.ChecksumsFile)
	return c.sums, err
}

// sums fetches (or recalls) a checksums file; for the newest release (key ""), it also finds
// the version in the archive names.
func (u *upstream) sums(ctx context.Context, key, url string) (cachedSums, error) {
	u.mu.Lock()
	c, ok := u.cached[key]
	u.mu.Unlock()
	if ok && time.Since(c.at) < u.ttl {
		return c, c.missing
	}
	b, err := u.get(ctx, url, release.MaxChecksumsSize)
	var se *errStatus
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		// Anyone may ask for any version: remember the upstream's "no" for the cache period
		// too, so that asking again for a release that does not exist costs no upstream call.
		u.remember(key, cachedSums{version: key, at: time.Now(), missing: err})
		return cachedSums{}, err
	}
	if err != nil {
		return c, err
	}
	cs, err := release.ParseChecksums(b)
	if err != nil {
		return c, httpError(http.StatusBadGateway, "upstream %s: %v", url, err)
	}
	c = cachedSums{sums: cs, raw: b, version: key, at: time.Now()}
	if key == "" {
		if c.version = versionIn(cs); c.version == "" {
			return c, httpError(http.StatusBadGateway, "upstream %s lists no agent archive named like %s", url, release.ArchiveName("<version>", "<os>", "<arch>"))
		}
	}
	u.remember(key, c)
	return c, nil
}

func (u *upstream) remember(key string, c cachedSums) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.cached) >= maxCachedVersions {
		clear(u.cached)
	}
	u.cached[key] = c
}

// versionIn is the version named by the first agent archive in cs.
func versionIn(cs release.Checksums) string {
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			if _, v, ok := release.FindArchive(cs, goos, goarch); ok {
				if _, err := release.ParseVersion(v); err == nil {
					return v
				}
			}
		}
	}
	return ""
}

func (u *upstream) get(ctx context.Context, url string, limit int64) ([]byte, error) {
	resp, err := u.fetch(ctx, url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read upstream %s: %w", url, err)
	}
	if int64(len(b)) > limit {
		return nil, httpError(http.StatusBadGateway, "upstream %s: larger than %d bytes", url, limit)
	}
	return b, nil
}

// fetch GETs url; a 404 becomes our 404, any other failure a 502 naming the upstream.
func (u *upstream) fetch(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, httpError(http.StatusBadGateway, "release upstream unreachable: %v", err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return resp, nil
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, httpError(http.StatusNotFound, "release upstream has no %s", url)
	}
	resp.Body.Close()
	return nil, httpError(http.StatusBadGateway, "release upstream answered %s for %s", resp.Status, url)
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request, version, file string) error {
	// Every file, the checksums and signature included, is served only for a release whose
	// checksums the upstream has: a release that does not exist is answered from the cache.
	c, err := u.sums(r.Context(), version, u.base+"/"+version+"/"+release.ChecksumsFile)
	if err != nil {
		return err
	}
	if file == release.ChecksumsFile {
		w.Header().Set("Content-Type", contentType(file))
		_, _ = w.Write(c.raw)
		return nil
	}
	if _, ok := c.sums.Lookup(file); !ok && file != release.SignatureFile {
		return httpError(http.StatusNotFound, "%s is not a file of release %s (not in its %s)", file, version, release.ChecksumsFile)
	}
	resp, err := u.fetch(r.Context(), u.base+"/"+version+"/"+file)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.ContentLength > release.MaxArchiveSize {
		return httpError(http.StatusBadGateway, "upstream %s is larger than %d bytes", file, release.MaxArchiveSize)
	}
	w.Header().Set("Content-Type", contentType(file))
	if resp.ContentLength >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	_, _ = io.Copy(w, io.LimitReader(resp.Body, release.MaxArchiveSize))
	return nil
}
