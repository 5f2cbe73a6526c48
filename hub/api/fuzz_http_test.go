package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store/storetest"
)

// FuzzHandler sends arbitrary bodies and path segments to every endpoint as the owner, on
// a real store: the answer is never a 5xx other than 503 (a dependency this test leaves
// out), and always JSON unless the route streams or succeeds without a body.
func FuzzHandler(f *testing.F) {
	st := storetest.New(f)
	ctx := context.Background()
	_, key, err := auth.CreateOwner(ctx, st, "owner")
	if err != nil {
		f.Fatal(err)
	}
	keys := auth.NewCache(st, nil)
	if err := keys.Refresh(ctx); err != nil {
		f.Fatal(err)
	}
	authz := rbac.New(st, nil)
	if err := authz.Refresh(ctx); err != nil {
		f.Fatal(err)
	}
	h := New(Deps{Store: st, Keys: keys, Authz: authz}, nil).(*API)
	for i := range h.routes {
		f.Add(i, "x", `{}`)
		f.Add(i, "a%2Fb", `{"name":"n","role":"viewer","transport":"http","url":"http://127.0.0.1:9/"}`)
		f.Add(i, "", `[`)
	}
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	f.Fuzz(func(t *testing.T, route int, seg, body string) {
		if route < 0 || route >= len(h.routes) {
			return
		}
		rt := h.routes[route]
		if seg == "" && strings.Contains(rt.Path, "{") {
			return // an empty segment is another route
		}
		path := param.ReplaceAllLiteralString(rt.Path, url.PathEscape(seg))
		req := httptest.NewRequest(rt.Method, Prefix+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s %s %q: %d %s", rt.Method, req.URL.Path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s %s: error %d is not JSON: %s", rt.Method, req.URL.Path, rec.Code, rec.Body)
		}
	})
}
