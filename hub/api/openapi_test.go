package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
)

// The document lists exactly the registered routes, parses as JSON, and has the fields
// OpenAPI 3.1 requires; every $ref resolves.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a := New(Deps{Authz: rbac.New(nil, nil)}, nil).(*API)
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", Prefix+"/openapi.json", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Info       struct{ Title, Version string }       `json:"info"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	raw := rec.Body.Bytes()
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title == "" || doc.Info.Version == "" || len(doc.Paths) == 0 {
		t.Fatalf("missing required top-level fields: openapi=%q info=%+v paths=%d", doc.OpenAPI, doc.Info, len(doc.Paths))
	}
	var inDoc, inTable []string
	for p, ops := range doc.Paths {
		for m := range ops {
			inDoc = append(inDoc, strings.ToUpper(m)+" "+p)
		}
	}
	for _, rt := range a.routes {
		inTable = append(inTable, rt.Method+" "+rt.Path)
	}
	sort.Strings(inDoc)
	sort.Strings(inTable)
	if strings.Join(inDoc, "\n") != strings.Join(inTable, "\n") {
		t.Fatalf("document and route table differ:\ndocument:\n%s\n\ntable:\n%s", strings.Join(inDoc, "\n"), strings.Join(inTable, "\n"))
	}
	for _, m := range regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`).FindAllSubmatch(raw, -1) {
		if _, ok := doc.Components.Schemas[string(m[1])]; !ok {
			t.Errorf("$ref to missing schema %s", m[1])
		}
	}
	// Every route in the table is really served (not the catch-all 404 or a 405).
	for _, rt := range a.routes {
		path := regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(rt.Path, "x")
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, httptest.NewRequest(rt.Method, Prefix+path, nil))
		if want := http.StatusUnauthorized; !rt.Public && rec.Code != want {
			t.Errorf("%s %s without credentials: %d, want %d (route not registered?)", rt.Method, rt.Path, rec.Code, want)
		}
	}
}

func TestOperationIDsUnique(t *testing.T) {
	a := New(Deps{Authz: rbac.New(nil, nil)}, nil).(*API)
	seen := map[string]string{}
	for _, rt := range a.routes {
		id := operationID(rt)
		if prev, dup := seen[id]; dup {
			t.Errorf("operationId %s for both %s and %s %s", id, prev, rt.Method, rt.Path)
		}
		seen[id] = rt.Method + " " + rt.Path
		if rt.Summary == "" || rt.Tag == "" {
			t.Errorf("%s %s: summary and tag are required", rt.Method, rt.Path)
		}
	}
}
