package discovery

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzToolDoc: any definition a backend sends (tools, prompts, resources) becomes a Doc
// without a panic, its line is valid UTF-8 when the input is, and a catalog of it answers
// a search made of its own words. Seeds: testdata/fuzz/FuzzToolDoc and below.
func FuzzToolDoc(f *testing.F) {
	f.Add([]byte(`{"name":"read_file","description":"Read a file. More.","inputSchema":{"type":"object","properties":{"path":{"type":"string","description":"where"}},"required":["path"]}}`), "read file")
	f.Add([]byte(`{"inputSchema":{"properties":{"a":{"type":["string","null"]},"b":1,"":{}}}}`), "a b")
	f.Add([]byte(`{"arguments":[{"name":"x","required":true}],"uri":"file:///x","uriTemplate":"x/{id}"}`), "x")
	f.Add([]byte(`[`), "")
	f.Fuzz(func(t *testing.T, raw []byte, query string) {
		docs := []Doc{ToolDoc(raw), PromptDoc(raw), ResourceDoc(raw, false), ResourceDoc(raw, true)}
		for i := range docs {
			if docs[i].Name == "" {
				docs[i].Name = "n"
			}
			if line := docs[i].Line(); utf8.Valid(raw) && !utf8.ValidString(line) {
				t.Fatalf("line of %q is not UTF-8: %q", raw, line)
			}
		}
		x := Build(docs)
		hits, total := x.Search(Query{Text: query, Limit: 2}, nil)
		if len(hits) > 2 || total < len(hits) {
			t.Fatalf("search %q: %d hits of %d", query, len(hits), total)
		}
		if strings.TrimSpace(query) == "" && total != len(docs) {
			t.Fatalf("an empty query matches %d of %d docs", total, len(docs))
		}
	})
}

// FuzzTokens: tokenising never panics and yields no empty term.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"read_text_file", "HTTPServer.start", "getV2Items", "ÀÉÎ__ß", "a\x00b", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range tokens(s, nil) {
			if w == "" {
				t.Fatalf("tokens(%q) has an empty term", s)
			}
		}
	})
}
