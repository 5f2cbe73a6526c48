package router

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

func TestToolNaming(t *testing.T) {
	longTool := strings.Repeat("very_long_tool_name_", 4)
	type lookup struct {
		exposed string
		want    Target // zero: must not resolve
	}
	tests := []struct {
		name    string
		sources map[string][]protocol.Backend
		listed  []string
		lookups []lookup
	}{
		{
			name: "hub-local and agent prefixes",
			sources: map[string][]protocol.Backend{
				"":       backends(bk{name: "github", tools: []string{"create_issue"}}),
				"laptop": backends(bk{name: "github", tools: []string{"create_issue"}}),
			},
			listed: []string{"github__create_issue", "laptop__github__create_issue"},
			lookups: []lookup{
				{"github__create_issue", Target{"", "github", "create_issue"}},
				{"laptop__github__create_issue", Target{"laptop", "github", "create_issue"}},
				{"create_issue", Target{}}, // prefixed mode: no bare name
				{"laptop__github__delete_repo", Target{}},
				{"desktop__github__create_issue", Target{}},
			},
		},
		{
			name: "unicode and odd characters are sanitized",
			sources: map[string][]protocol.Backend{
				"my laptop": backends(bk{name: "fs.local", tools: []string{"lire_fiché", "read file"}}),
			},
			listed: []string{"my_laptop__fs_local__lire_fich_", "my_laptop__fs_local__read_file"},
			lookups: []lookup{
				{"my_laptop__fs_local__lire_fich_", Target{"my laptop", "fs.local", "lire_fiché"}},
				{"my_laptop__fs_local__read_file", Target{"my laptop", "fs.local", "read file"}},
				{"my laptop__fs.local__read file", Target{}},
			},
		},
		{
			name: "long names are shortened with a hash",
			sources: map[string][]protocol.Backend{
				"laptop": backends(bk{name: "github", tools: []string{longTool + "a", longTool + "b"}}),
			},
			listed: []string{mcp.Join("laptop", "github", longTool+"a"), mcp.Join("laptop", "github", longTool+"b")},
			lookups: []lookup{
				{mcp.Join("laptop", "github", longTool+"a"), Target{"laptop", "github", longTool + "a"}},
				{mcp.Join("laptop", "github", longTool+"b"), Target{"laptop", "github", longTool + "b"}},
				{"laptop__github__" + longTool + "a", Target{}},
			},
		},
		{
			name: "collision: hub-local wins, the agent's gets a variant",
			sources: map[string][]protocol.Backend{
				"":       backends(bk{name: "laptop__github", tools: []string{"x"}}),
				"laptop": backends(bk{name: "github", tools: []string{"x"}}),
			},
			listed: []string{"laptop__github__x", mcp.Disambiguate("laptop__github__x", "laptop\x00github\x00x")},
			lookups: []lookup{
				{"laptop__github__x", Target{"", "laptop__github", "x"}},
				{mcp.Disambiguate("laptop__github__x", "laptop\x00github\x00x"), Target{"laptop", "github", "x"}},
			},
		},
		{
			name: "auto: original names where unique, prefixed form as alias",
			sources: map[string][]protocol.Backend{
				"":       backends(bk{name: "everything", naming: "auto", tools: []string{"echo", "add", "files.read"}}),
				"laptop": backends(bk{name: "github", tools: []string{"add"}}),
			},
			listed: []string{"echo", "everything__add", "everything__files_read", "laptop__github__add"},
			lookups: []lookup{
				{"echo", Target{"", "everything", "echo"}},
				{"everything__echo", Target{"", "everything", "echo"}}, // alias, not listed
				{"add", Target{}}, // two backends have it
				{"everything__add", Target{"", "everything", "add"}},
				{"files.read", Target{}}, // not a valid exposed name
				{"everything__files_read", Target{"", "everything", "files.read"}},
			},
		},
		{
			name: "auto: an original name never takes another target's prefixed name",
			sources: map[string][]protocol.Backend{
				"": backends(bk{name: "a", naming: "auto", tools: []string{"b__c"}}, bk{name: "b", tools: []string{"c"}}),
			},
			listed: []string{"a__b__c", "b__c"},
			lookups: []lookup{
				{"b__c", Target{"", "b", "c"}},
				{"a__b__c", Target{"", "a", "b__c"}},
			},
		},
		{
			name: "only ready backends contribute",
			sources: map[string][]protocol.Backend{
				"": backends(bk{name: "up", tools: []string{"t"}}, bk{name: "down", state: protocol.StateFailed, tools: []string{"t"}},
					bk{name: "auto", naming: "auto", tools: []string{"solo"}}, bk{name: "starting", state: protocol.StateStarting, tools: []string{"solo"}}),
			},
			listed: []string{"solo", "up__t"},
			lookups: []lookup{
				{"down__t", Target{}},
				{"solo", Target{"", "auto", "solo"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(nil)
			for agent, bs := range tt.sources {
				r.Set(agent, bs)
			}
			tab := r.Table()
			listed := keys(tab.Tools(), NameKey)
			want := slices.Clone(tt.listed)
			slices.Sort(want)
			if !slices.Equal(listed, want) {
				t.Errorf("listed %q\nwant   %q", listed, want)
			}
			for _, n := range listed {
				if !mcp.ValidName(n) {
					t.Errorf("listed name %q is not valid", n)
				}
			}
			for _, l := range tt.lookups {
				got, ok := tab.Tool(l.exposed)
				if l.want == (Target{}) {
					mustNotResolve(t, l.exposed, got, ok)
				} else {
					mustResolve(t, l.exposed, got, ok, l.want)
				}
			}
		})
	}
}

func TestCollisionsRecorded(t *testing.T) {
	r := New(nil)
	r.Set("", backends(bk{name: "b", tools: []string{"日本", "中国", "x.y", "x_y"}, prompts: []string{"p"}}))
	r.Set("a", backends(bk{name: "b", prompts: []string{"p"}}))
	r.Set("a__b", backends(bk{name: "x"}))
	r.Set("a", backends(bk{name: "b__x", prompts: []string{"p"}}, bk{name: "b", prompts: []string{"p"}}))
	tab := r.Table()
	got := tab.Collisions()
	var summary []string
	for _, c := range got {
		summary = append(summary, c.Kind+" "+c.Exposed+" "+strings.Join(c.Names[1:], ","))
		if len(c.Targets) != len(c.Names) || c.Names[0] != c.Exposed {
			t.Errorf("inconsistent collision %+v", c)
		}
		for i, n := range c.Names {
			if c.Kind == "resource" {
				continue
			}
			look := tab.Tool
			if c.Kind == "prompt" {
				look = tab.Prompt
			}
			mustResolve(t, n, must(look(n)), true, c.Targets[i])
		}
	}
	want := []string{
		"resource mcpgw://a__b__x/ " + mcp.PrefixURI(mcp.Disambiguate("a__b__x", "a__b\x00x\x00"), ""),
		"tool b____ " + mcp.Disambiguate("b____", "\x00b\x00日本"),
		"tool b__x_y " + mcp.Disambiguate("b__x_y", "\x00b\x00x_y"),
	}
	if !slices.Equal(summary, want) {
		t.Errorf("collisions:\n%q\nwant\n%q", summary, want)
	}
}

func must(tg Target, ok bool) Target {
	if !ok {
		return Target{Name: "<unresolved>"}
	}
	return tg
}

func TestPromptsFollowToolRules(t *testing.T) {
	r := New(nil)
	r.Set("laptop", backends(bk{name: "notes", naming: "auto", prompts: []string{"summarize", "shared"}},
		bk{name: "docs", prompts: []string{"shared"}}))
	tab := r.Table()
	if got := keys(tab.Prompts(), NameKey); !slices.Equal(got, []string{"laptop__docs__shared", "laptop__notes__shared", "summarize"}) {
		t.Errorf("prompts %q", got)
	}
	mustResolve(t, "summarize", must(tab.Prompt("summarize")), true, Target{"laptop", "notes", "summarize"})
	mustResolve(t, "alias", must(tab.Prompt("laptop__notes__summarize")), true, Target{"laptop", "notes", "summarize"})
	tg, ok := tab.Prompt("shared")
	mustNotResolve(t, "shared", tg, ok)
	tg, ok = tab.Tool("summarize")
	mustNotResolve(t, "prompt name as a tool", tg, ok)
}

func TestOnlyNameRewritten(t *testing.T) {
	raw := `{ "description":"has \"name\"", "name" : "read", "inputSchema":{"properties":{"name":{}}},"annotations":{"title":"é"} }`
	r := New(nil)
	r.Set("", []protocol.Backend{{Name: "fs", State: protocol.StateReady, Tools: []json.RawMessage{json.RawMessage(raw),
		json.RawMessage(`{"description":"no name"}`), json.RawMessage(`not json`), json.RawMessage(raw)}}})
	tab := r.Table()
	want := strings.Replace(raw, `"read"`, `"fs__read"`, 1)
	if got := tab.Tools(); len(got) != 1 || string(got[0]) != want {
		t.Errorf("tools = %s\nwant %s", got, want)
	}
	if info := tab.Backends(); len(info) != 1 || info[0].Tools != 1 || info[0].Skipped != 3 || info[0].Prefix != "fs" {
		t.Errorf("backend info %+v", info)
	}
}

func TestDefaultNaming(t *testing.T) {
	var changes []Changes
	r := New(func(c Changes) { changes = append(changes, c) })
	r.Set("", backends(bk{name: "a", tools: []string{"one"}}, bk{name: "b", naming: "prefixed", tools: []string{"two"}}))
	r.SetDefaultNaming("auto")
	if got := keys(r.Table().Tools(), NameKey); !slices.Equal(got, []string{"b__two", "one"}) {
		t.Errorf("tools %q", got)
	}
	r.SetDefaultNaming("auto")
	if len(changes) != 2 {
		t.Errorf("changes %+v", changes)
	}
}

func TestToolAlias(t *testing.T) {
	r := New(nil)
	r.Set("", backends(bk{name: "a", naming: "auto", tools: []string{"one", "dup"}}, bk{name: "b", naming: "auto", tools: []string{"dup"}},
		bk{name: "c", naming: "prefixed", tools: []string{"three"}}))
	tb := r.Table()
	for name, want := range map[string]string{
		"one": "a__one", "a__one": "one", // auto: listed original ↔ prefixed alias
		"a__dup": "", "b__dup": "", // a shared original name stays prefixed only
		"c__three": "", "missing": "",
	} {
		if got := tb.ToolAlias(name); got != want {
			t.Errorf("ToolAlias(%q) = %q, want %q", name, got, want)
		}
	}
}
