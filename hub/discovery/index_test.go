package discovery

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	for in, want := range map[string]string{
		"read_text_file":               "read text fil",
		"getFileInfo":                  "get fil info",
		"HTTPServer.start":             "http server start",
		"laptop__github__create_issue": "laptop github creat issu",
		"list-directories v2":          "list directory v 2",
		"Creating the new files":       "creat new fil",
		"running gzipped echoes":       "run gzip echo",
		"résumé über":                  "résumé über",
		"":                             "",
	} {
		if got := strings.Join(tokens(in, nil), " "); got != want {
			t.Errorf("tokens(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStemJoinsForms(t *testing.T) {
	for _, group := range [][]string{
		{"create", "creates", "created", "creating"},
		{"directory", "directories"},
		{"delete", "deleted", "deletes", "deleting"},
		{"file", "files"},
		{"list", "listing", "lists"},
	} {
		first := term(group[0])
		for _, w := range group[1:] {
			if got := term(w); got != first {
				t.Errorf("term(%q) = %q, term(%q) = %q: want one term", w, got, group[0], first)
			}
		}
	}
}

func catalog() []Doc {
	return []Doc{
		{Kind: KindTool, Name: "fs__read_file", Original: "read_file", Backend: "fs", Risk: "read",
			Description: "Read the complete contents of a file.", Args: []Arg{{Name: "path", Type: "string", Required: true}}},
		{Kind: KindTool, Name: "fs__write_file", Original: "write_file", Backend: "fs", Risk: "write",
			Description: "Create or overwrite a file with new content.", Args: []Arg{{Name: "path", Required: true}, {Name: "content"}}},
		{Kind: KindTool, Name: "fs__delete_file", Original: "delete_file", Backend: "fs", Risk: "destructive",
			Description: "Delete a file for good.", Args: []Arg{{Name: "path"}}},
		{Kind: KindTool, Name: "laptop__gh__create_issue", Original: "create_issue", Agent: "laptop", Backend: "gh", Risk: "write",
			Description: "Open a new issue in a repository.", Args: []Arg{{Name: "repo"}, {Name: "title"}, {Name: "body"}}},
		{Kind: KindTool, Name: "laptop__gh__search_code", Original: "search_code", Agent: "laptop", Backend: "gh", Risk: "read",
			Description: "Search code across repositories.", Args: []Arg{{Name: "query", Description: "a file path or text"}}},
		{Kind: KindPrompt, Name: "gh__review", Original: "review", Backend: "gh", Description: "Review a pull request.",
			Args: []Arg{{Name: "pr"}}},
		{Kind: KindResource, Name: "mcpgw://fs/readme", Title: "README", Backend: "fs", Description: "The project's read-me file."},
	}
}

func names(x *Index, hits []Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, x.Docs()[h.Doc].Name)
	}
	return out
}

func TestSearchRanks(t *testing.T) {
	x := Build(catalog())
	for _, tc := range []struct {
		q     Query
		first string
	}{
		{Query{Text: "read a file"}, "fs__read_file"},
		{Query{Text: "remove a file"}, "fs__delete_file"}, // a synonym
		{Query{Text: "open a new issue"}, "laptop__gh__create_issue"},
		{Query{Text: "create_issue"}, "laptop__gh__create_issue"},
		{Query{Text: "laptop__gh__search_code"}, "laptop__gh__search_code"}, // exact name
		{Query{Text: "destructive"}, "fs__delete_file"},                     // risk is indexed
		{Query{Text: "repo title body"}, "laptop__gh__create_issue"},        // argument names
		{Query{Text: "overwr"}, "fs__write_file"},                           // a partial word
		{Query{Text: "pull request review", Kind: KindPrompt}, "gh__review"},
		{Query{Text: "readme", Kind: KindResource}, "mcpgw://fs/readme"},
	} {
		hits, total := x.Search(tc.q, nil)
		if len(hits) == 0 || x.Docs()[hits[0].Doc].Name != tc.first {
			t.Errorf("%+v: got %v (of %d), want %s first", tc.q, names(x, hits), total, tc.first)
		}
	}
}

func TestSearchFilters(t *testing.T) {
	x := Build(catalog())
	for _, tc := range []struct {
		q    Query
		want []string
	}{
		{Query{Text: "file", Risk: []string{"write", "destructive"}}, []string{"fs__delete_file", "fs__write_file"}},
		{Query{Text: "", Agent: "laptop"}, []string{"laptop__gh__create_issue", "laptop__gh__search_code"}},
		{Query{Text: "", Backend: "gh", Kind: KindPrompt}, []string{"gh__review"}},
		{Query{Text: "file", Kind: KindTool, Limit: 1}, nil}, // checked for length below
		{Query{Text: "zebra unicorn"}, nil},
	} {
		hits, total := x.Search(tc.q, nil)
		got := names(x, hits)
		if tc.q.Limit == 1 {
			if len(got) != 1 || total < 3 {
				t.Errorf("limit 1: got %v of %d", got, total)
			}
			continue
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) || total != len(tc.want) {
			t.Errorf("%+v: got %v (total %d), want %v", tc.q, got, total, tc.want)
		}
	}
}

// TestSearchKeep: what keep refuses is never a hit, however well it matches.
func TestSearchKeep(t *testing.T) {
	x := Build(catalog())
	hidden := 0 // fs__read_file
	for _, text := range []string{"read a file", "fs__read_file", "", "read_file"} {
		hits, total := x.Search(Query{Text: text, Limit: 100}, func(i int) bool { return i != hidden })
		for _, h := range hits {
			if h.Doc == hidden {
				t.Errorf("%q: the hidden doc is a hit", text)
			}
		}
		if total != len(hits) {
			t.Errorf("%q: total %d counts hits it did not return (%d)", text, total, len(hits))
		}
	}
}

func TestSearchEmptyIndex(t *testing.T) {
	x := Build(nil)
	if hits, total := x.Search(Query{Text: "anything"}, nil); len(hits) != 0 || total != 0 {
		t.Errorf("empty index: %v %d", hits, total)
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"Read a file. Then more.", 100, "Read a file."},
		{"  Spaced\n out   words ", 100, "Spaced out words"},
		{"one two three four five six", 14, "one two three…"},
		{"ééééé", 5, "éé…"},
		{"", 10, ""},
	} {
		if got := Summary(tc.in, tc.n); got != tc.want {
			t.Errorf("Summary(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestToolDocAndLine(t *testing.T) {
	raw := `{"name":"x","description":"Edit a file. Long text follows.","annotations":{"title":"Edit"},
	"inputSchema":{"type":"object","properties":{"path":{"type":"string","description":"where"},
	"edits":{"type":"array"},"dryRun":{"type":["boolean","null"]}},"required":["path","edits"]}}`
	d := ToolDoc([]byte(raw))
	d.Name, d.Risk = "fs__edit_file", "write"
	want := []Arg{{Name: "path", Type: "string", Description: "where", Required: true},
		{Name: "edits", Type: "array", Required: true}, {Name: "dryRun", Type: "boolean|null"}}
	if !slices.Equal(d.Args, want) || d.Title != "Edit" {
		t.Errorf("ToolDoc: %+v", d)
	}
	if got := d.Line(); got != "fs__edit_file [write] — Edit a file. (path*: string, edits*: array, dryRun: boolean|null)" {
		t.Errorf("Line: %s", got)
	}
	if d := ToolDoc([]byte(`{"inputSchema":{"properties":[1,2]}}`)); len(d.Args) != 0 {
		t.Errorf("a schema whose properties are not an object has no args: %+v", d.Args)
	}
}

// genDocs makes n tools of a large team hub: services × verbs × objects, with arguments.
func genDocs(n int) []Doc {
	services := []string{"github", "gitlab", "jira", "slack", "postgres", "s3", "k8s", "stripe", "notion", "linear",
		"sentry", "datadog", "gmail", "calendar", "drive", "figma", "zendesk", "hubspot", "twilio", "vault"}
	verbs := []string{"list", "get", "create", "update", "delete", "search", "export", "archive", "sync", "describe"}
	objects := []string{"issue", "comment", "user", "project", "file", "message", "channel", "record", "invoice", "event",
		"bucket", "pod", "deployment", "secret", "page"}
	docs := make([]Doc, 0, n)
	for i := 0; len(docs) < n; i++ {
		s, v, o := services[i%len(services)], verbs[(i/len(services))%len(verbs)], objects[(i/(len(services)*len(verbs)))%len(objects)]
		agent := fmt.Sprintf("agent%02d", i%40)
		name := fmt.Sprintf("%s_%s_%d", v, o, i/(len(services)*len(verbs)*len(objects)))
		docs = append(docs, Doc{Kind: KindTool, Name: agent + "__" + s + "__" + name, Original: name, Agent: agent, Backend: s,
			Risk:        []string{"read", "write", "destructive"}[i%3],
			Description: fmt.Sprintf("%s a %s in %s. Returns the %s as JSON with its id, owner and timestamps.", v, o, s, o),
			Args: []Arg{{Name: o + "_id", Type: "string", Description: "the " + o + " to act on", Required: true},
				{Name: "limit", Type: "integer", Description: "at most this many"}, {Name: "cursor", Type: "string"}}})
	}
	return docs
}

func TestGeneratedCatalog(t *testing.T) {
	x := Build(genDocs(2400))
	hits, total := x.Search(Query{Text: "delete a record in vault", Limit: 3}, nil)
	if len(hits) == 0 || total < 3 {
		t.Fatalf("no hits: %d", total)
	}
	if d := x.Docs()[hits[0].Doc]; d.Backend != "vault" || d.Original != "delete_record_0" {
		t.Errorf("first hit %s (%.2f) for delete a record in vault", d.Name, hits[0].Score)
	}
}

// BenchmarkSearch is one query over 2,400 tools (docs/DISCOVERY.md).
func BenchmarkSearch(b *testing.B) {
	x := Build(genDocs(2400))
	queries := []string{"delete a record in vault", "list open issues in jira", "export invoices", "pod", "sync calendar events for a user"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x.Search(Query{Text: queries[i%len(queries)], Limit: 10}, func(int) bool { return true })
	}
}

// BenchmarkBuild is indexing 2,400 tools, done once per catalog change.
func BenchmarkBuild(b *testing.B) {
	docs := genDocs(2400)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Build(docs)
	}
}
