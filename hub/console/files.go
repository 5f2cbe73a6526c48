package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

// assets are the console's files, served as they are: no build step.
//
//go:embed assets
var assets embed.FS

// file is one asset, with its gzip form and a content ETag. The gzip form is made on the
// first request that wants it, not at start: compressing every asset at the best level
// took ≈ 80 ms of CPU before the hub could answer /readyz, for a console nobody may open.
type file struct {
	body   []byte
	ctype  string
	etag   string
	gzOnce sync.Once
	gz     []byte
}

// gzipped returns the asset's gzip form, compressing it once.
func (f *file) gzipped() []byte {
	f.gzOnce.Do(func() {
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(f.body)
		_ = zw.Close()
		f.gz = gz.Bytes()
	})
	return f.gz
}

type files struct{ byPath map[string]*file }

func loadFiles() *files {
	f := &files{byPath: map[string]*file{}}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("console: " + err.Error())
	}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		var ct string
		switch path.Ext(p) { // not left to the system's MIME table (nor its load at start)
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".html":
			ct = "text/html; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		default:
			ct = mime.TypeByExtension(path.Ext(p))
		}
		f.byPath[p] = &file{body: body, ctype: ct,
			etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("console: embedded assets: " + err.Error())
	}
	return f
}

// Paths lists the embedded files (tests: the size budget).
func (c *Console) Paths() []string {
	out := make([]string, 0, len(c.files.byPath))
	for p := range c.files.byPath {
		out = append(out, p)
	}
	return out
}

// GzipSize is the compressed size of an embedded file, -1 if there is none.
func (c *Console) GzipSize(p string) int {
	if f := c.files.byPath[p]; f != nil {
		return len(f.gzipped())
	}
	return -1
}

func (f *files) serve(w http.ResponseWriter, r *http.Request, p string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, r.Method+" is not allowed here", http.StatusMethodNotAllowed)
		return
	}
	if p == "" {
		p = "index.html"
	}
	fl := f.byPath[p]
	if fl == nil {
		http.Error(w, "no such file in the console: "+p, http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", fl.ctype)
	h.Set("ETag", fl.etag)
	// Revalidated every time (a new hub version changes the files under the same names);
	// the ETag makes that a 304.
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, fl.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := fl.body
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = fl.gzipped()
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				q, _ = strconv.ParseFloat(v, 64)
			}
		}
		return q > 0
	}
	return false
}
