package discovery_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/discovery"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// Labelled is one query of testdata/queries.json and the tools ("backend/tool", the
// backend's own name) that answer it.
type Labelled struct {
	Query  string   `json:"query"`
	Expect []string `json:"expect"`
}

func loadQueries(t *testing.T) []Labelled {
	t.Helper()
	b, err := os.ReadFile("testdata/queries.json")
	if err != nil {
		t.Fatal(err)
	}
	var qs []Labelled
	if err := json.Unmarshal(b, &qs); err != nil {
		t.Fatalf("testdata/queries.json: %v", err)
	}
	return qs
}

// npmBin is a server of e2e/node_modules; missing, the test skips (fails under CI).
func npmBin(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "e2e", "node_modules", ".bin", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed: run e2e/setup.sh", name)
		}
		t.Skipf("%s is not installed: run e2e/setup.sh", name)
	}
	return p
}

// realCatalog starts a hub with server-everything, server-filesystem and server-memory as
// its own backends and returns the catalog of what they serve.
func realCatalog(t *testing.T) *discovery.Catalog {
	t.Helper()
	dir := t.TempDir()
	hub := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{
			{Name: "everything", Transport: "stdio", Command: npmBin(t, "mcp-server-everything")},
			{Name: "filesystem", Transport: "stdio", Command: npmBin(t, "mcp-server-filesystem"), Args: []string{dir}},
			{Name: "memory", Transport: "stdio", Command: npmBin(t, "mcp-server-memory"),
				Env: map[string]string{"MEMORY_FILE_PATH": filepath.Join(dir, "memory.jsonl")}},
		}
	})
	want := []string{"everything__echo", "filesystem__read_text_file", "memory__read_graph"}
	waitfor.Until(t, 60*time.Second, "the three servers' tools", func() bool {
		tbl := hub.Server.Router.Table()
		for _, n := range want {
			if _, ok := tbl.Tool(n); !ok {
				return false
			}
		}
		return true
	})
	return discovery.NewCatalog(hub.Server.Tools.Index(hub.Server.Router.Table()))
}

// TestLabelledQueries: for at least 90 % of the labelled natural-language queries, a tool
// that answers it is among the first three hits over the real servers' tools.
func TestLabelledQueries(t *testing.T) {
	cat := realCatalog(t)
	rate, misses := labelledRate(cat, loadQueries(t), func(d *discovery.Doc) string { return d.Backend + "/" + toolName(d) })
	for _, m := range misses {
		t.Log("miss: " + m)
	}
	t.Logf("top-3 rate: %.1f %% of %d queries over %d tools", rate*100, len(loadQueries(t)), cat.Tools())
	if rate < 0.9 {
		t.Errorf("top-3 rate %.1f %%, want at least 90 %%", rate*100)
	}
}

func toolName(d *discovery.Doc) string {
	if d.Original != "" {
		return d.Original
	}
	return d.Name
}

// labelledRate runs the queries over the catalog's tools and returns the share whose
// expected tool is in the top 3, and a line per miss.
func labelledRate(cat *discovery.Catalog, qs []Labelled, id func(*discovery.Doc) string) (float64, []string) {
	hitCount := 0
	var misses []string
	for _, q := range qs {
		hits, _ := cat.Search(discovery.Query{Text: q.Query, Kind: discovery.KindTool, Limit: 3}, nil)
		var got []string
		found := false
		for _, h := range hits {
			name := id(&cat.Docs()[h.Doc])
			got = append(got, name)
			for _, e := range q.Expect {
				found = found || e == name
			}
		}
		if found {
			hitCount++
		} else {
			misses = append(misses, q.Query+" → "+strings.Join(got, ", ")+" (want "+strings.Join(q.Expect, " or ")+")")
		}
	}
	return float64(hitCount) / float64(len(qs)), misses
}
