package router

import (
	"slices"
	"testing"
)

func TestResources(t *testing.T) {
	r := New(nil)
	r.Set("", backends(
		bk{name: "fs", resources: []string{"file:///etc/hosts", "file:///shared"}, templates: []string{"file:///{+path}"}},
		bk{name: "docs", naming: "auto", resources: []string{"docs://index", "file:///shared", "mcpgw://x/y"},
			templates: []string{"docs://pages/{page}", "docs://search{?q,limit}"}},
	))
	r.Set("laptop", backends(bk{name: "notes", naming: "auto", templates: []string{"notes://{id}", "docs://pages/{page}"}}))
	tab := r.Table()

	wantRes := []string{"docs://index", "mcpgw://docs/file:///shared", "mcpgw://docs/mcpgw://x/y",
		"mcpgw://fs/file:///etc/hosts", "mcpgw://fs/file:///shared"}
	if got := keys(tab.Resources(), URIKey); !slices.Equal(got, wantRes) {
		t.Errorf("resources %q\nwant      %q", got, wantRes)
	}
	wantTmpl := []string{"docs://search{?q,limit}", "mcpgw://docs/docs://pages/{page}", "mcpgw://fs/file:///{+path}",
		"mcpgw://laptop__notes/docs://pages/{page}", "notes://{id}"}
	if got := keys(tab.ResourceTemplates(), URITemplateKey); !slices.Equal(got, wantTmpl) {
		t.Errorf("templates %q\nwant      %q", got, wantTmpl)
	}

	docs, fs, notes := Target{Backend: "docs"}, Target{Backend: "fs"}, Target{Agent: "laptop", Backend: "notes"}
	with := func(tg Target, name string) Target { tg.Name = name; return tg }
	for uri, want := range map[string]Target{
		"mcpgw://fs/file:///etc/hosts":             with(fs, "file:///etc/hosts"),
		"mcpgw://fs/file:///not/listed":            with(fs, "file:///not/listed"), // expanded from fs's template
		"docs://index":                             with(docs, "docs://index"),
		"mcpgw://docs/docs://index":                with(docs, "docs://index"), // alias
		"docs://search?q=go&limit=3":               with(docs, "docs://search?q=go&limit=3"),
		"docs://search":                            with(docs, "docs://search"),
		"notes://42":                               with(notes, "notes://42"),
		"mcpgw://laptop__notes/docs://pages/intro": with(notes, "docs://pages/intro"),
		"mcpgw://docs/mcpgw://x/y":                 with(docs, "mcpgw://x/y"),
	} {
		got, ok := tab.Resource(uri)
		mustResolve(t, uri, got, ok, want)
	}
	for _, uri := range []string{
		"file:///shared",          // two backends list it
		"file:///etc/hosts",       // fs is prefixed
		"docs://pages/intro",      // two backends have that template
		"notes://42/extra",        // {id} does not span '/'
		"mcpgw://nobody/x",        // unknown prefix
		"mcpgw://x/y",             // a gateway URI is never verbatim
		"mcpgw://notes/notes://1", // notes is an agent backend
	} {
		got, ok := tab.Resource(uri)
		mustNotResolve(t, uri, got, ok)
	}

	// Templates for completion/complete.
	mustResolve(t, "verbatim template", must(tab.ResourceTemplate("docs://search{?q,limit}")), true, with(docs, "docs://search{?q,limit}"))
	mustResolve(t, "prefixed template", must(tab.ResourceTemplate("mcpgw://fs/file:///{+path}")), true, with(fs, "file:///{+path}"))
	got, ok := tab.ResourceTemplate("docs://pages/{page}")
	mustNotResolve(t, "shared template", got, ok)

	// ExposeURI gives the form that resolves back, for rewriting results.
	for tgt, want := range map[Target]string{
		with(fs, "file:///etc/hosts"):    "mcpgw://fs/file:///etc/hosts",
		with(docs, "docs://index"):       "docs://index",
		with(docs, "docs://search?q=x"):  "docs://search?q=x",
		with(docs, "file:///shared"):     "mcpgw://docs/file:///shared",
		with(docs, "other://unlisted"):   "mcpgw://docs/other://unlisted",
		with(notes, "notes://7"):         "notes://7",
		with(notes, "docs://pages/x"):    "mcpgw://laptop__notes/docs://pages/x",
		{Backend: "gone", Name: "g://1"}: "mcpgw://gone/g://1",
	} {
		if got := tab.ExposeURI(tgt); got != want {
			t.Errorf("ExposeURI(%+v) = %q, want %q", tgt, got, want)
		}
		if back, ok := tab.Resource(tab.ExposeURI(tgt)); tgt.Backend != "gone" && (!ok || back != tgt) {
			t.Errorf("Resource(ExposeURI(%+v)) = %+v, %v", tgt, back, ok)
		}
	}
}

func TestResourcePrefixCollision(t *testing.T) {
	r := New(nil)
	r.Set("", backends(bk{name: "laptop__fs", resources: []string{"a://1"}}))
	r.Set("laptop", backends(bk{name: "fs", resources: []string{"a://1"}}))
	tab := r.Table()
	mustResolve(t, "winner", must(tab.Resource("mcpgw://laptop__fs/a://1")), true, Target{"", "laptop__fs", "a://1"})
	agentURI := tab.ExposeURI(Target{"laptop", "fs", "a://1"})
	mustResolve(t, agentURI, must(tab.Resource(agentURI)), true, Target{"laptop", "fs", "a://1"})
	if c := tab.Collisions(); len(c) != 1 || c[0].Kind != "resource" || c[0].Exposed != "mcpgw://laptop__fs/" {
		t.Errorf("collisions %+v", c)
	}
}

func TestTemplateMatching(t *testing.T) {
	tests := []struct {
		tmpl string
		yes  []string
		no   []string
	}{
		{"file:///{path}", []string{"file:///a.txt", "file:///"}, []string{"file:///a/b", "file://x", "file:///a?x"}},
		{"file:///{+path}", []string{"file:///a/b/c.txt", "file:///a?b#c"}, []string{"files:///a"}},
		{"users/{id}/posts/{post}", []string{"users/1/posts/2"}, []string{"users/1/posts", "users/1/2/posts/3"}},
		{"search{?q,lang}", []string{"search", "search?q=x&lang=en"}, []string{"searchx", "search/x"}},
		{"s{?q}{&page}", []string{"s?q=1&page=2", "s?q=1"}, []string{"s#x", "s/x"}},
		{"doc{#frag}", []string{"doc", "doc#part"}, []string{"doc/x"}},
		{"api{/ver,res}", []string{"api", "api/v1/users"}, []string{"apiv1"}},
		{"f{.ext}", []string{"f", "f.json"}, []string{"fjson"}},
		{"m{;x,y}", []string{"m;x=1;y=2"}, []string{"m/x"}},
		{"lit.(x)+[y]", []string{"lit.(x)+[y]"}, []string{"litX(x)+[y]"}},
	}
	for _, tt := range tests {
		m, ok := compileTemplate(tt.tmpl)
		if !ok {
			t.Errorf("compileTemplate(%q) failed", tt.tmpl)
			continue
		}
		for _, u := range tt.yes {
			if !m.match(u) {
				t.Errorf("%q does not match %q", tt.tmpl, u)
			}
		}
		for _, u := range tt.no {
			if m.match(u) {
				t.Errorf("%q matches %q", tt.tmpl, u)
			}
		}
	}
	for _, bad := range []string{"a{b", "a{}", "a{=x}", "a}b{c}d}", "a{b{c}}"} {
		if _, ok := compileTemplate(bad); ok {
			t.Errorf("compileTemplate(%q) accepted it", bad)
		}
	}
}
