package router

import (
	"encoding/binary"
	encjson "encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Pools that make the names collide: sanitizing gives "t.1", "t 1" and "t_1" one
// canonical name; agents "a" and "a.b" with backends "b.x" and "x" give "a__b_x" and
// "a_b__x"; auto mode shares original names across agents; some originals equal another
// tool's prefixed name; resources share URIs, and one is itself a gateway URI.
var (
	incAgents    = []string{"", "a", "a.b", "a_b", "b", "load1"}
	incBackends  = []string{"b", "b.x", "x", "b x"}
	incNamings   = []string{"", "", "auto", "prefixed"}
	incStates    = []string{protocol.StateReady, protocol.StateReady, protocol.StateReady, "starting", "error"}
	incTools     = []string{"echo", "t.1", "t_1", "t 1", "add", "a__b__echo", "b__echo", "x__t_1", "sum", "ünï"}
	incPrompts   = []string{"summarize", "p.1", "p_1", "echo"}
	incResources = []string{"file:///a", "file:///b", "mem://1", "mcpgw://x/y", "file:///a/b"}
	incTemplates = []string{"file:///{+path}", "mem://{id}", "x{?q}", "file:///a/{f}"}
)

// incOps replays a sequence of Set and Remove read from ops on a router that publishes every
// change at once, and after each one checks the table against the reference build of the
// same sources, and the change it reported against the lists it changed.
func incOps(t *testing.T, ops []byte, naming string) {
	t.Helper()
	var got Changes
	calls := 0
	r := New(func(c Changes) { got, calls = c, calls+1 })
	r.coalesceFrom = 1 << 30
	if naming != "" {
		r.SetDefaultNaming(naming)
	}
	sources := map[string][]protocol.Backend{}
	prev := refBuild(sources, naming)
	rd := byteReader{b: ops}
	for step := 0; rd.more(); step++ {
		agent := incAgents[rd.n(len(incAgents))]
		var op string
		if rd.n(5) == 0 {
			r.Remove(agent)
			delete(sources, agent)
			op = "remove " + agent
		} else {
			bs := rd.backends()
			r.Set(agent, bs)
			if len(bs) == 0 {
				delete(sources, agent)
			} else {
				sources[agent] = bs
			}
			op = fmt.Sprintf("set %q: %d backends", agent, len(bs))
		}
		ref := refBuild(sources, naming)
		what := fmt.Sprintf("step %d (%s)", step, op)
		if !compareRef(t, r.Table(), ref, what) {
			return
		}
		want := Changes{
			Tools:     !sameList(prev.tools.list, ref.tools.list),
			Prompts:   !sameList(prev.prompts.list, ref.prompts.list),
			Resources: !sameList(prev.res.list, ref.res.list) || !sameList(prev.res.templates, ref.res.templates),
		}
		if !want.Any() {
			got = Changes{}
		}
		if got != want {
			t.Errorf("%s: reported changes %+v, want %+v", what, got, want)
			return
		}
		got, prev = Changes{}, ref
	}
}

// compareRef reports every difference between a table and the reference build.
func compareRef(t *testing.T, tb *Table, ref *refTable, what string) bool {
	t.Helper()
	fail := func(format string, args ...any) bool {
		t.Errorf("%s: "+format, append([]any{what}, args...)...)
		return false
	}
	lists := []struct {
		name     string
		got      List
		want     []encjson.RawMessage
		wantKeys []string
	}{
		{"tools", tb.ToolList(), ref.tools.list, ref.tools.keys},
		{"prompts", tb.PromptList(), ref.prompts.list, ref.prompts.keys},
		{"resources", tb.ResourceList(), ref.res.list, ref.res.keys},
		{"templates", tb.ResourceTemplateList(), ref.res.templates, ref.res.tmplKeys},
	}
	for _, l := range lists {
		if !sameList(l.got.Items, l.want) || !slices.Equal(l.got.Keys, l.wantKeys) {
			return fail("%s: %q, want %q", l.name, l.got.Keys, l.wantKeys)
		}
	}
	if c, w := tb.Collisions(), ref.collisions; (len(c) > 0 || len(w) > 0) && !reflect.DeepEqual(c, w) {
		return fail("collisions %+v, want %+v", c, w)
	}
	if b, w := tb.Backends(), ref.backends; !slices.Equal(b, w) {
		return fail("backends %+v, want %+v", b, w)
	}
	for _, k := range []struct {
		name   string
		lookup func(string) (Target, bool)
		ref    refNames
	}{{"tool", tb.Tool, ref.tools}, {"prompt", tb.Prompt, ref.prompts}} {
		for name, want := range k.ref.index {
			if got, ok := k.lookup(name); !ok || got != want {
				return fail("%s %q resolves to %+v, %v; want %+v", k.name, name, got, ok, want)
			}
		}
		for _, name := range append(slices.Clone(incTools), "nope", "a__b__t_1") {
			if _, ok := k.ref.index[name]; !ok {
				if got, ok := k.lookup(name); ok {
					return fail("%s %q resolves to %+v; want nothing", k.name, name, got)
				}
			}
		}
	}
	for name := range ref.tools.index {
		if got, want := tb.ToolAlias(name), ref.tools.alias[name]; got != want {
			return fail("alias of %q is %q, want %q", name, got, want)
		}
	}
	uris := slices.Concat(ref.res.keys, ref.res.tmplKeys, incResources, incTemplates,
		[]string{"file:///c/d", "mem://7", "x?q=1", "file:///a/z", "mcpgw://nope/x"})
	for _, u := range uris {
		g, gok := tb.Resource(u)
		w, wok := ref.resource(u)
		if g != w || gok != wok {
			return fail("resource %q resolves to %+v, %v; want %+v, %v", u, g, gok, w, wok)
		}
		g, gok = tb.ResourceTemplate(u)
		w, wok = ref.resourceTemplate(u)
		if g != w || gok != wok {
			return fail("resource template %q resolves to %+v, %v; want %+v, %v", u, g, gok, w, wok)
		}
	}
	for _, b := range ref.backends {
		for _, u := range slices.Concat(incResources, incTemplates) {
			tgt := Target{Agent: b.Agent, Backend: b.Backend, Name: u}
			if g, w := tb.ExposeURI(tgt), ref.exposeURI(tgt); g != w {
				return fail("ExposeURI(%+v) = %q, want %q", tgt, g, w)
			}
		}
	}
	return true
}

// byteReader reads choices from fuzz bytes; after the end it reads zeros.
type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) more() bool { return r.i < len(r.b) }

func (r *byteReader) n(k int) int {
	if r.i >= len(r.b) {
		return 0
	}
	v := int(r.b[r.i]) % k
	r.i++
	return v
}

// pick returns up to max distinct-or-not elements of pool, as the bytes say.
func (r *byteReader) pick(pool []string, max int) []string {
	out := make([]string, r.n(max+1))
	for i := range out {
		out[i] = pool[r.n(len(pool))]
	}
	return out
}

func (r *byteReader) backends() []protocol.Backend {
	out := make([]protocol.Backend, r.n(4))
	for i := range out {
		spec := bk{name: incBackends[r.n(len(incBackends))], naming: incNamings[r.n(len(incNamings))],
			state: incStates[r.n(len(incStates))]}
		spec.tools = r.pick(incTools, 4)
		spec.prompts = r.pick(incPrompts, 2)
		spec.resources = r.pick(incResources, 3)
		spec.templates = r.pick(incTemplates, 2)
		out[i] = spec.backend()
		if r.n(8) == 0 {
			out[i].Tools = append(out[i].Tools, []byte(`"not an object"`))
		}
	}
	return out
}

// TestIncrementalEqualsFullBuild: random sequences of agents connecting, changing and
// leaving, with names made to collide; after every change the incrementally updated table
// equals a whole build of the same sources by the reference rules (lists, keys, lookups,
// aliases, collisions, backends, URIs), and the reported changes are the lists that changed.
func TestIncrementalEqualsFullBuild(t *testing.T) {
	for seed := range 60 {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		ops := make([]byte, 1200)
		for i := 0; i+8 <= len(ops); i += 8 {
			binary.LittleEndian.PutUint64(ops[i:], rng.Uint64())
		}
		naming := []string{"", "auto", "prefixed"}[seed%3]
		t.Run(fmt.Sprintf("seed%d-%s", seed, naming), func(t *testing.T) { incOps(t, ops, naming) })
	}
}

// FuzzIncremental is TestIncrementalEqualsFullBuild with the fuzzer choosing the changes.
func FuzzIncremental(f *testing.F) {
	f.Add([]byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"), false)
	f.Add([]byte("\x00\x01\x00\x01\x05\x02\x01\x03\x04\x02\x02\x01\x01\x02\x00\x03\x02"), true)
	f.Fuzz(func(t *testing.T, ops []byte, auto bool) {
		naming := ""
		if auto {
			naming = "auto"
		}
		incOps(t, ops, naming)
	})
}

// TestIncrementalTakenVariant: a tool whose canonical name is exactly another tool's
// hashed variant (a name an agent can choose on purpose) makes the variant step on; the
// router then builds the table whole, as the reference does, and goes back to incremental
// updates once the clash is gone.
func TestIncrementalTakenVariant(t *testing.T) {
	r := New(nil)
	r.coalesceFrom = 1 << 30
	loser := Target{Agent: "a_b", Backend: "x", Name: "t"} // "a_b__x__t", after agent "a.b"'s
	v := variant("a_b__x__t", loser)
	sources := map[string][]protocol.Backend{}
	set := func(agent string, bs []protocol.Backend) {
		r.Set(agent, bs)
		sources[agent] = bs
		compareRef(t, r.Table(), refBuild(sources, ""), "after set "+agent)
	}
	set("a.b", backends(bk{name: "x", tools: []string{"t"}}))
	set("a_b", backends(bk{name: "x", tools: []string{"t"}}))
	if _, ok := r.Table().Tool(v); !ok {
		t.Fatalf("the loser's variant %q is not in the table", v)
	}
	whole := r.builds
	// The hub's own backend "a_b__x" lists a tool whose canonical name is v's tail.
	name := v[len("a_b__x__"):]
	if mcp.Join("a_b__x", name) != v {
		t.Fatalf("test setup: %q does not give %q", name, v)
	}
	set("", backends(bk{name: "a_b__x", tools: []string{name}}))
	if r.builds == whole {
		t.Error("a taken variant did not make a whole build")
	}
	if got, _ := r.Table().Tool(v); got.Agent != "" {
		t.Errorf("the canonical name %q went to %+v, not the hub's tool", v, got)
	}
	set("load1", backends(bk{name: "b", tools: []string{"u"}})) // still irregular: whole again
	r.Remove("")
	delete(sources, "")
	compareRef(t, r.Table(), refBuild(sources, ""), "after the clash left")
	whole = r.builds
	set("load1", backends(bk{name: "b", tools: []string{"w"}}))
	if r.builds != whole {
		t.Error("a regular table still builds whole on every change")
	}
}

// TestIncrementalSharedOriginal: an auto-mode tool keeps its original name only while no
// other tool has that name; the second one to come takes it away from the first, and it
// comes back when the second leaves.
func TestIncrementalSharedOriginal(t *testing.T) {
	r := New(nil)
	sources := map[string][]protocol.Backend{}
	step := func(what, agent string, bs []protocol.Backend) {
		if bs == nil {
			r.Remove(agent)
			delete(sources, agent)
		} else {
			r.Set(agent, bs)
			sources[agent] = bs
		}
		compareRef(t, r.Table(), refBuild(sources, ""), what)
	}
	step("first", "a", backends(bk{name: "b", naming: "auto", tools: []string{"echo"}}))
	if got, ok := r.Table().Tool("echo"); !ok || got.Agent != "a" {
		t.Fatalf("echo resolves to %+v, %v; want agent a's", got, ok)
	}
	step("second", "c", backends(bk{name: "b", naming: "auto", tools: []string{"echo"}}))
	if got, ok := r.Table().Tool("echo"); ok {
		t.Errorf("echo, shared by two agents, resolves to %+v", got)
	}
	step("second leaves", "c", nil)
	if got, ok := r.Table().Tool("echo"); !ok || got.Agent != "a" {
		t.Errorf("echo resolves to %+v, %v after the second left; want agent a's", got, ok)
	}
}
