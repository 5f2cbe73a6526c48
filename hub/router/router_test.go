package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// fleet returns sources with overlapping names, collisions and auto backends.
func fleet() map[string][]protocol.Backend {
	return map[string][]protocol.Backend{
		"": backends(
			bk{name: "everything", naming: "auto", tools: []string{"echo", "add", "日本"}, prompts: []string{"simple"},
				resources: []string{"test://static/1"}, templates: []string{"test://dynamic/{id}"}},
			bk{name: "laptop__github", tools: []string{"create_issue"}},
			bk{name: "broken", state: protocol.StateFailed, tools: []string{"x"}},
		),
		"laptop": backends(
			bk{name: "github", tools: []string{"create_issue", "add"}, resources: []string{"gh://repo"}},
			bk{name: "fs", naming: "auto", tools: []string{"read", "中国"}, templates: []string{"file:///{+path}"}},
		),
		"desktop": backends(
			bk{name: "fs", naming: "auto", tools: []string{"read"}, prompts: []string{"simple", "other"}},
		),
	}
}

type snapshot struct {
	Tools, Resources, Templates, Prompts []json.RawMessage
	Collisions                           []Collision
	Backends                             []BackendInfo
}

func snap(t *Table) snapshot {
	return snapshot{t.Tools(), t.Resources(), t.ResourceTemplates(), t.Prompts(), t.Collisions(), t.Backends()}
}

func TestDeterminism(t *testing.T) {
	ref := New(nil)
	for agent, bs := range fleet() {
		ref.Set(agent, bs)
	}
	want := snap(ref.Table())
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		src := fleet()
		agents := []string{"", "laptop", "desktop"}
		rng.Shuffle(len(agents), func(i, j int) { agents[i], agents[j] = agents[j], agents[i] })
		r := New(nil)
		r.Set("stale", backends(bk{name: "x", tools: []string{"t"}}))
		for _, a := range agents {
			bs := src[a]
			rng.Shuffle(len(bs), func(i, j int) { bs[i], bs[j] = bs[j], bs[i] })
			r.Set(a, bs)
		}
		r.Remove("stale")
		if got := snap(r.Table()); !reflect.DeepEqual(got, want) {
			t.Fatalf("run %d (order %q) differs:\n%s\nwant\n%s", i, agents, dump(got), dump(want))
		}
	}
}

func dump(s snapshot) string {
	b, _ := json.MarshalIndent(s, "", " ")
	return string(b)
}

func TestChanges(t *testing.T) {
	var got []Changes
	r := New(func(c Changes) { got = append(got, c) })
	step := func(name string, f func(), want ...Changes) {
		t.Helper()
		got = nil
		f()
		if !slices.Equal(got, want) {
			t.Errorf("%s: onChange got %+v, want %+v", name, got, want)
		}
	}
	gh := bk{name: "github", tools: []string{"a"}}
	step("first tool", func() { r.Set("laptop", backends(gh)) }, Changes{Tools: true})
	step("same again", func() { r.Set("laptop", backends(gh)) })
	step("a failed backend lists nothing", func() {
		r.Set("laptop", backends(gh, bk{name: "fs", state: protocol.StateStarting, tools: []string{"x"}}))
	})
	step("a prompt", func() {
		r.Set("laptop", backends(gh, bk{name: "fs", state: protocol.StateStarting}, bk{name: "p", prompts: []string{"x"}}))
	}, Changes{Prompts: true})
	step("a template", func() { r.Set("", backends(bk{name: "d", templates: []string{"d://{x}"}})) }, Changes{Resources: true})
	step("description change", func() {
		b := gh.backend()
		b.Tools[0] = json.RawMessage(`{"name":"a","description":"new"}`)
		r.Set("laptop", []protocol.Backend{b, bk{name: "p", prompts: []string{"x"}}.backend()})
	}, Changes{Tools: true})
	step("agent gone", func() { r.Remove("laptop") }, Changes{Tools: true, Prompts: true})
	step("unknown agent gone", func() { r.Remove("nobody") })
}

func TestPaginate(t *testing.T) {
	item := func(n string) json.RawMessage { return obj("name", n) }
	items := []json.RawMessage{item("a"), item("c"), item("e"), item("g"), item("i")}
	page, next, err := Paginate(items, "", 2, NameKey)
	if err != nil || !slices.Equal(keys(page, NameKey), []string{"a", "c"}) || next == "" {
		t.Fatalf("page 1: %q %q %v", keys(page, NameKey), next, err)
	}
	// Insert before and after the cursor; the next page starts right after "c" anyway.
	items = []json.RawMessage{item("a"), item("b"), item("c"), item("d"), item("e"), item("g"), item("i")}
	page, next, err = Paginate(items, next, 2, NameKey)
	if err != nil || !slices.Equal(keys(page, NameKey), []string{"d", "e"}) {
		t.Fatalf("page 2: %q %v", keys(page, NameKey), err)
	}
	// Remove the cursor's own item: still fine.
	items = slices.Delete(items, 4, 5)
	page, next, err = Paginate(items, next, 2, NameKey)
	if err != nil || !slices.Equal(keys(page, NameKey), []string{"g", "i"}) || next != "" {
		t.Fatalf("page 3: %q %q %v", keys(page, NameKey), next, err)
	}
	if page, next, err := Paginate(items, "", 0, NameKey); err != nil || len(page) != len(items) || next != "" {
		t.Errorf("no page size: %d items, next %q, %v", len(page), next, err)
	}
	if page, _, _ := Paginate(items, "", 3, NameKey); cap(page) != 3 {
		t.Errorf("page capacity %d lets appends overwrite the table", cap(page))
	}
	for _, bad := range []string{"!!!", "a b", "YQ==x", "="} {
		if _, _, err := Paginate(items, bad, 2, NameKey); !errors.Is(err, ErrBadCursor) {
			t.Errorf("cursor %q: err = %v", bad, err)
		}
	}
}

func TestPaginateTable(t *testing.T) {
	r := New(nil)
	var tools []string
	for i := range 25 {
		tools = append(tools, fmt.Sprintf("t%02d", i))
	}
	r.Set("", backends(bk{name: "b", tools: tools}))
	var seen []string
	cursor := ""
	for {
		page, next, err := Paginate(r.Table().Tools(), cursor, 10, NameKey)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, keys(page, NameKey)...)
		if next == "" {
			break
		}
		cursor = next
	}
	if got := keys(r.Table().Tools(), NameKey); !slices.Equal(seen, got) {
		t.Errorf("paged %q\nwant  %q", seen, got)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := New(func(Changes) {})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				r.Set(fmt.Sprint("agent", i), backends(bk{name: "b", tools: []string{fmt.Sprint("t", j)}}))
				if _, ok := r.Table().Tool(fmt.Sprintf("agent%d__b__t%d", i, j)); !ok {
					t.Errorf("own tool missing right after Set")
				}
			}
			r.Remove(fmt.Sprint("agent", i))
		})
	}
	wg.Wait()
	if n := len(r.Table().Tools()); n != 0 {
		t.Errorf("%d tools left", n)
	}
}
