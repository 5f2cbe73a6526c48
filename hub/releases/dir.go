package releases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// dirSource serves releases from a local directory of <version>/ folders.
type dirSource struct {
	dir string
	// local: the hub's own builds (releases build), which may not exist yet and are
	// versioned from source (pre-release versions), so the newest of any kind is offered.
	local bool
}

func newDirSource(dir string) (*dirSource, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("releases.dir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("releases.dir %s is not a directory", dir)
	}
	return &dirSource{dir: dir}, nil
}

// versions lists the release folders that parse as versions and hold a checksums file.
func (d *dirSource) versions() ([]release.Version, error) {
	entries, err := os.ReadDir(d.dir)
	if d.local && errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list releases: %w", err)
	}
	var out []release.Version
	for _, e := range entries {
		v, err := release.ParseVersion(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(d.dir, e.Name(), release.ChecksumsFile)); err == nil {
			out = append(out, v)
		}
	}
	return out, nil
}

func (d *dirSource) newest(context.Context) (string, error) {
	return d.below(nil)
}

func (d *dirSource) previous(_ context.Context, v release.Version) (string, error) {
	s, err := d.below(&v)
	var es *errStatus
	if errors.As(err, &es) {
		return "", nil
	}
	return s, err
}

// below is the newest stable release, older than limit when limit is not nil.
func (d *dirSource) below(limit *release.Version) (string, error) {
	vs, err := d.versions()
	if err != nil {
		return "", err
	}
	var best *release.Version
	for i := range vs {
		v := &vs[i]
		if (v.Prerelease() && !d.local) || (limit != nil && v.Compare(*limit) >= 0) {
			continue
		}
		if best == nil || v.Compare(*best) > 0 {
			best = v
		}
	}
	if best == nil && d.local {
		return "", httpError(http.StatusNotFound, "this hub serves no agent releases yet: run `mcp-gateway-hub releases build` in its source tree to build them, or set [releases] dir or upstream (docs/INSTALL.md)")
	}
	if best == nil {
		return "", httpError(http.StatusNotFound, "no releases found in the hub's releases directory")
	}
	return best.String(), nil
}

func (d *dirSource) checksums(_ context.Context, version string) (release.Checksums, error) {
	f, err := os.Open(filepath.Join(d.dir, version, release.ChecksumsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, httpError(http.StatusNotFound, "no release %s on this hub", version)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, release.MaxChecksumsSize+1))
	if err != nil {
		return nil, err
	}
	cs, err := release.ParseChecksums(b)
	if err != nil {
		return nil, httpError(http.StatusInternalServerError, "release %s: %v", version, err)
	}
	return cs, nil
}

func (d *dirSource) serve(w http.ResponseWriter, r *http.Request, version, file string) error {
	ok, err := listed(r.Context(), d, version, file)
	if err != nil {
		return err
	}
	if !ok {
		return httpError(http.StatusNotFound, "%s is not a file of release %s (not in its %s)", file, version, release.ChecksumsFile)
	}
	f, err := os.Open(filepath.Join(d.dir, version, file))
	if errors.Is(err, fs.ErrNotExist) {
		return httpError(http.StatusNotFound, "release %s has no %s on this hub", version, file)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", contentType(file))
	http.ServeContent(w, r, file, time.Time{}, f)
	return nil
}

func contentType(file string) string {
	if file == release.ChecksumsFile || file == release.SignatureFile {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
