package releases_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/releases"
)

// Whatever the path, the handler never panics and never serves a file outside a release.
func FuzzReleasePath(f *testing.F) {
	for _, s := range []string{"latest?os=linux&arch=amd64", "v1.0.0/checksums.txt", "v1.0.0/..%2f..%2fsecret.txt",
		"%2e%2e/secret.txt", "v1.0.0/%00", "v1.0.0//checksums.txt", "v1.0.0/checksums.txt?x=%zz", "latest?os=%ff"} {
		f.Add(s)
	}
	dir := releaseDirF(f)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("SECRET"), 0o644)
	h, err := releases.New(config.Releases{Dir: dir, RolloutPercent: 100}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		req, err := http.NewRequest(http.MethodGet, "http://hub"+releases.Prefix+rest, nil)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "SECRET") {
			t.Fatalf("%q served a file outside the releases", rest)
		}
	})
}

func releaseDirF(f *testing.F) string {
	dir := f.TempDir()
	os.MkdirAll(filepath.Join(dir, "v1.0.0"), 0o755)
	os.WriteFile(filepath.Join(dir, "v1.0.0", "checksums.txt"),
		[]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  a.tar.gz\n"), 0o644)
	return dir
}
