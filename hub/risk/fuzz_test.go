package risk

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func realTools(tb testing.TB) []json.RawMessage {
	tb.Helper()
	var all []json.RawMessage
	for _, server := range []string{"server-everything", "server-filesystem", "server-memory"} {
		raw, err := os.ReadFile(filepath.Join("testdata", server+".tools.json"))
		if err != nil {
			tb.Fatal(err)
		}
		var tools []json.RawMessage
		if err := json.Unmarshal(raw, &tools); err != nil {
			tb.Fatal(err)
		}
		all = append(all, tools...)
	}
	return all
}

func FuzzClassify(f *testing.F) {
	for _, tl := range realTools(f) {
		f.Add([]byte(tl))
	}
	f.Add([]byte(`{"name":"deleteÜberUser","annotations":{"readOnlyHint":null,"openWorldHint":true}}`))
	f.Add([]byte(`{"name":1}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, r := Classify(raw)
		if !c.Valid() || r.Signal == "" || r.Detail == "" {
			t.Fatalf("Classify(%q) = %q, %+v", raw, c, r)
		}
	})
}

// BenchmarkClassify classifies server-filesystem's read_text_file.
func BenchmarkClassify(b *testing.B) {
	tool := realTools(b)[17]
	b.ReportAllocs()
	for b.Loop() {
		Classify(tool)
	}
}

// BenchmarkClassifyWords classifies a tool without annotations, by its name and description.
func BenchmarkClassifyWords(b *testing.B) {
	tool := json.RawMessage(`{"name":"cleanup_workspace","description":"Removes build outputs and caches. Does not touch sources.","inputSchema":{"type":"object"}}`)
	b.ReportAllocs()
	for b.Loop() {
		Classify(tool)
	}
}
