package router

import (
	"strings"
	"testing"
)

// Backends choose their URI templates, so the template compiler gets fuzzed too.
func FuzzTemplate(f *testing.F) {
	f.Add("file:///{+path}", "file:///a/b")
	f.Add("search{?q,limit}", "search?q=1")
	f.Add("a{b", "a{b")
	f.Add("x.*(y)", "x.*(y)")
	f.Fuzz(func(t *testing.T, tmpl, uri string) {
		m, ok := compileTemplate(tmpl)
		if !ok {
			return
		}
		m.match(uri)
		if !strings.ContainsAny(tmpl, "{}") && !m.match(tmpl) {
			t.Fatalf("literal template %q does not match itself", tmpl)
		}
		if !strings.ContainsAny(tmpl, "{}") && uri != tmpl && m.match(uri) {
			t.Fatalf("literal template %q matches %q", tmpl, uri)
		}
	})
}

func FuzzCursor(f *testing.F) {
	f.Add("Yg")
	f.Add("!!")
	items := keysToItems("a", "b", "c")
	f.Fuzz(func(t *testing.T, cursor string) {
		page, next, err := Paginate(items, cursor, 2, NameKey)
		if err == nil && (len(page) > 2 || (next != "" && len(page) != 2)) {
			t.Fatalf("cursor %q: page %d, next %q", cursor, len(page), next)
		}
	})
}
