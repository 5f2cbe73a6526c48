package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// filtered is what the gateway paged before List.Page: the kept items, filtered afresh.
func filtered(l List, keep func(int) bool) []json.RawMessage {
	if keep == nil {
		return l.Items
	}
	var out []json.RawMessage
	for i, it := range l.Items {
		if keep(i) {
			out = append(out, it)
		}
	}
	return out
}

// randomFleet is agents with random tool names drawn from a small pool, so that names
// repeat across agents (collisions, auto-mode originals that are or are not unique).
func randomFleet(rng *rand.Rand, agents int) map[string][]protocol.Backend {
	src := make(map[string][]protocol.Backend)
	for range agents {
		id := fmt.Sprintf("ag%d", rng.IntN(agents*2))
		var bs []bk
		for b := range 1 + rng.IntN(3) {
			spec := bk{name: fmt.Sprintf("b%d", b)}
			if rng.IntN(2) == 0 {
				spec.naming = "auto"
			}
			for range rng.IntN(8) {
				spec.tools = append(spec.tools, fmt.Sprintf("t%d", rng.IntN(40)))
				spec.resources = append(spec.resources, fmt.Sprintf("file:///r%d", rng.IntN(40)))
			}
			bs = append(bs, spec)
		}
		src[id] = backends(bs...)
	}
	return src
}

// randomKeep keeps each item with probability p, decided by the item's key so that the
// same item is kept in every table.
func randomKeep(l List, seed uint64, p float64) func(int) bool {
	if p >= 1 {
		return nil
	}
	return func(i int) bool {
		h := seed
		for _, c := range []byte(l.Keys[i]) {
			h = h*1099511628211 ^ uint64(c)
		}
		return float64(h%1000) < p*1000
	}
}

// checkPage compares List.Page with Paginate over the filtered items for one cursor.
func checkPage(t *testing.T, what string, l List, keep func(int) bool, cursor string, size int, key func(json.RawMessage) string) string {
	t.Helper()
	if len(l.Keys) != len(l.Items) {
		t.Fatalf("%s: %d keys for %d items", what, len(l.Keys), len(l.Items))
	}
	for i := range l.Items {
		if k := key(l.Items[i]); k != l.Keys[i] {
			t.Fatalf("%s: key %d is %q, the item says %q", what, i, l.Keys[i], k)
		}
	}
	want, wantNext, wantErr := Paginate(filtered(l, keep), cursor, size, key)
	got, next, err := l.Page(cursor, size, keep)
	if (err != nil) != (wantErr != nil) || next != wantNext || len(got) != len(want) {
		t.Fatalf("%s, cursor %q, size %d: got %d items, next %q, err %v; want %d, %q, %v",
			what, cursor, size, len(got), next, err, len(want), wantNext, wantErr)
	}
	for i := range got {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("%s, cursor %q: item %d is %s, want %s", what, cursor, i, got[i], want[i])
		}
	}
	return next
}

// TestListPageEqualsFiltering: pages cut from the sorted index are exactly the pages of
// the old filtering of every item, for random fleets, filters and page sizes, also when a
// cursor made on one table is used on the next after agents were added or removed.
func TestListPageEqualsFiltering(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 7))
		src := randomFleet(rng, 1+rng.IntN(20))
		r := New(nil)
		for id, bs := range src {
			r.Set(id, bs)
		}
		size := rng.IntN(6) // 0: everything on one page
		p := []float64{1, 0.7, 0.2, 0}[rng.IntN(4)]
		lists := func(tb *Table) map[string]struct {
			l   List
			key func(json.RawMessage) string
		} {
			return map[string]struct {
				l   List
				key func(json.RawMessage) string
			}{
				"tools": {tb.ToolList(), NameKey}, "prompts": {tb.PromptList(), NameKey},
				"resources": {tb.ResourceList(), URIKey}, "templates": {tb.ResourceTemplateList(), URITemplateKey},
			}
		}
		for kind := range lists(r.Table()) {
			cursor := ""
			for step := 0; ; step++ {
				cur := lists(r.Table())[kind]
				what := fmt.Sprintf("seed %d %s step %d", seed, kind, step)
				next := checkPage(t, what, cur.l, randomKeep(cur.l, seed, p), cursor, size, cur.key)
				if next == "" {
					break
				}
				cursor = next
				// Between pages, agents come and go: the cursor stays valid on the new table.
				ids := slices.Sorted(func(yield func(string) bool) {
					for id := range src {
						if !yield(id) {
							return
						}
					}
				})
				switch rng.IntN(3) {
				case 0:
					for _, bs := range randomFleet(rng, 1) {
						id := fmt.Sprintf("new%d", rng.IntN(1000))
						src[id] = bs
						r.Set(id, bs)
					}
				case 1:
					if len(ids) > 0 {
						id := ids[rng.IntN(len(ids))]
						delete(src, id)
						r.Remove(id)
					}
				}
				if step > 200 {
					t.Fatalf("%s: paging does not end", what)
				}
			}
		}
	}
}

func TestListPageBadCursor(t *testing.T) {
	r := New(nil)
	r.Set("a", backends(bk{name: "b", tools: []string{"x", "y", "z"}}))
	l := r.Table().ToolList()
	for _, c := range []string{"!!", "%%%", "Yg=", "a b"} {
		if _, _, err := l.Page(c, 2, nil); err == nil || !errorsIs(err, ErrBadCursor) {
			t.Errorf("cursor %q: err %v, want ErrBadCursor", c, err)
		}
		if _, _, err := l.Page(c, 2, func(int) bool { return true }); !errorsIs(err, ErrBadCursor) {
			t.Errorf("cursor %q with a filter: err %v, want ErrBadCursor", c, err)
		}
	}
	// A cursor past every key gives an empty last page, not an error.
	page, next, err := l.Page(encodeCursor("zzzz"), 2, nil)
	if err != nil || len(page) != 0 || next != "" {
		t.Errorf("cursor past the end: %d items, next %q, err %v", len(page), next, err)
	}
}

// FuzzListPage: any cursor gives Paginate's answer over the kept items, or ErrBadCursor.
func FuzzListPage(f *testing.F) {
	f.Add("Yg", uint8(2), uint8(3))
	f.Add("!!", uint8(1), uint8(0))
	f.Add(encodeCursor("a__b__t3"), uint8(0), uint8(5))
	r := New(nil)
	r.Set("a", backends(bk{name: "b", tools: []string{"t1", "t2", "t3", "t4", "t5"}}))
	r.Set("c", backends(bk{name: "d", naming: "auto", tools: []string{"t1", "t9"}}))
	l := r.Table().ToolList()
	f.Fuzz(func(t *testing.T, cursor string, size, mask uint8) {
		keep := func(i int) bool { return mask&(1<<(i%8)) == 0 }
		want, wantNext, wantErr := Paginate(filtered(l, keep), cursor, int(size%8), NameKey)
		got, next, err := l.Page(cursor, int(size%8), keep)
		if (err != nil) != (wantErr != nil) || err != nil && !errorsIs(err, ErrBadCursor) {
			t.Fatalf("cursor %q: err %v, want %v", cursor, err, wantErr)
		}
		if next != wantNext || len(got) != len(want) {
			t.Fatalf("cursor %q: %d items, next %q; want %d, %q", cursor, len(got), next, len(want), wantNext)
		}
	})
}

// fleetOf is n agents of one backend with 5 tools each, as the load program connects.
func fleetOf(n int) map[string][]protocol.Backend {
	src := make(map[string][]protocol.Backend, n)
	for a := range n {
		src[fmt.Sprintf("load%05d", a)] = backends(bk{name: "canned", tools: []string{"tool_0", "tool_1", "tool_2", "tool_3", "tool_4"}})
	}
	return src
}

// BenchmarkPaging pages through 50,000 tools 500 at a time with a filter on every tool:
// "filter-each-page" is the old way (every page filters the whole list, then Paginate),
// "index" is List.Page.
func BenchmarkPaging(b *testing.B) {
	tb := tableOf(fleetOf(10000), "")
	l := tb.ToolList()
	keep := func(i int) bool { return len(l.Keys[i]) > 0 }
	b.Run("filter-each-page", func(b *testing.B) {
		for b.Loop() {
			cursor := ""
			for {
				_, next, err := Paginate(filtered(l, keep), cursor, 500, NameKey)
				if err != nil {
					b.Fatal(err)
				}
				if cursor = next; cursor == "" {
					break
				}
			}
		}
	})
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cursor := ""
			for {
				_, next, err := l.Page(cursor, 500, keep)
				if err != nil {
					b.Fatal(err)
				}
				if cursor = next; cursor == "" {
					break
				}
			}
		}
	})
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
