package update

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// A long download reports its progress (issue 12): the archive's, in at most ten steps and
// once at the end with the whole size; the small checksums and signature files are not reported.
func TestDownloadReportsProgress(t *testing.T) {
	archive := bytes.Repeat([]byte("x"), 3<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			w.Header().Set("Content-Length", strconv.Itoa(len(archive)))
			w.Write(archive)
		default:
			w.Write([]byte("small"))
		}
	}))
	defer srv.Close()
	var reports [][2]int64
	u, err := New(Options{HubURL: srv.URL, Progress: func(done, total int64) { reports = append(reports, [2]int64{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	p, err := u.Download(context.Background(), &Release{URL: "/a", ChecksumsURL: "/c", SignatureURL: "/s"})
	if err != nil || len(p.Archive) != len(archive) {
		t.Fatalf("download: %v", err)
	}
	n := int64(len(archive))
	if len(reports) < 2 || len(reports) > 11 {
		t.Fatalf("%d progress reports, want 2 to 11: %v", len(reports), reports)
	}
	for i, r := range reports {
		if r[1] != n || (i > 0 && r[0] <= reports[i-1][0]) {
			t.Errorf("report %d = %v (total %d), want growing counts of the archive", i, r, n)
		}
	}
	if last := reports[len(reports)-1]; last[0] != n {
		t.Errorf("last report %v, want the whole %d bytes", last, n)
	}
}
