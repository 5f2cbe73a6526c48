package router

import (
	"fmt"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// benchFleet: 5 agents × 10 backends × 100 tools, 10 resources, 2 templates and 5 prompts
// each; every fifth backend in auto mode.
func benchFleet() map[string][]protocol.Backend {
	src := make(map[string][]protocol.Backend)
	for a := range 5 {
		agent := fmt.Sprintf("agent%d", a)
		for b := range 10 {
			spec := bk{name: fmt.Sprintf("backend%d", b)}
			if b%5 == 0 {
				spec.naming = "auto"
			}
			for i := range 100 {
				spec.tools = append(spec.tools, fmt.Sprintf("tool_%d_%d_%d", a, b, i))
			}
			for i := range 10 {
				spec.resources = append(spec.resources, fmt.Sprintf("file:///%s/%d/%d", agent, b, i))
			}
			spec.templates = []string{fmt.Sprintf("t%d%d://{id}", a, b), "shared://{+path}"}
			spec.prompts = []string{"summarize", "review", fmt.Sprintf("p%d%d", a, b), "x", "y"}
			src[agent] = append(src[agent], spec.backend())
		}
	}
	return src
}

// BenchmarkRebuild measures Set: "one-agent" replaces one agent's 10 backends (the usual
// update, incremental), "cold" builds all 50 whole.
func BenchmarkRebuild(b *testing.B) {
	src := benchFleet()
	b.Run("one-agent", func(b *testing.B) {
		r := New(nil)
		for agent, bs := range src {
			r.Set(agent, bs)
		}
		b.ReportAllocs()
		for b.Loop() {
			r.Set("agent0", src["agent0"])
		}
		b.ReportMetric(float64(len(r.Table().Tools())), "tools")
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tableOf(src, "")
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	r := New(nil)
	for agent, bs := range benchFleet() {
		r.Set(agent, bs)
	}
	names := []string{"agent3__backend7__tool_3_7_42", "tool_1_0_5", "agent1__backend0__tool_1_0_5", "nope"}
	b.Run("tool", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Table().Tool(names[i%len(names)])
		}
	})
	uris := []string{"mcpgw://agent2__backend3/file:///agent2/3/4", "file:///agent4/0/1"}
	b.Run("resource", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Table().Resource(uris[i%len(uris)])
		}
	})
	b.Run("resource-template-match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := r.Table().Resource("t20://123"); !ok {
				b.Fatal("no match")
			}
		}
	})
}

// BenchmarkConnectAt10k measures one agent (5 tools) connecting and leaving a router that
// holds 10,000 others, each change published: an incremental update, whatever n.
func BenchmarkConnectAt10k(b *testing.B) {
	r := New(nil)
	r.coalesceFrom = 1 << 30 // publish every change, as below CoalesceFrom
	for agent, bs := range fleetOf(10000) {
		r.Set(agent, bs)
	}
	one := backends(bk{name: "canned", tools: []string{"tool_0", "tool_1", "tool_2", "tool_3", "tool_4"}})
	b.ReportAllocs()
	for b.Loop() {
		r.Set("newcomer", one)
		r.Remove("newcomer")
	}
}
