package router

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// obj returns a raw JSON object with key set to val and a few other members.
func obj(key, val string) json.RawMessage {
	v, _ := json.Marshal(val)
	return json.RawMessage(fmt.Sprintf(`{"%s":%s,"description":"about %s","inputSchema":{"type":"object","properties":{"name":{"type":"string"}}}}`, key, v, key))
}

type bk struct {
	name, naming, state  string
	tools, prompts       []string
	resources, templates []string
}

func (b bk) backend() protocol.Backend {
	pb := protocol.Backend{Name: b.name, Transport: "stdio", Naming: b.naming, State: b.state}
	if pb.State == "" {
		pb.State = protocol.StateReady
	}
	for _, n := range b.tools {
		pb.Tools = append(pb.Tools, obj("name", n))
	}
	for _, n := range b.prompts {
		pb.Prompts = append(pb.Prompts, obj("name", n))
	}
	for _, u := range b.resources {
		pb.Resources = append(pb.Resources, obj("uri", u))
	}
	for _, u := range b.templates {
		pb.ResourceTemplates = append(pb.ResourceTemplates, obj("uriTemplate", u))
	}
	return pb
}

func backends(bs ...bk) []protocol.Backend {
	out := make([]protocol.Backend, len(bs))
	for i, b := range bs {
		out[i] = b.backend()
	}
	return out
}

// keys returns the sort keys of a list.
func keys(items []json.RawMessage, key func(json.RawMessage) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = key(it)
	}
	return out
}

func mustResolve(t *testing.T, what string, got Target, ok bool, want Target) {
	t.Helper()
	if !ok || got != want {
		t.Errorf("%s resolved to %+v, %v; want %+v", what, got, ok, want)
	}
}

func mustNotResolve(t *testing.T, what string, got Target, ok bool) {
	t.Helper()
	if ok {
		t.Errorf("%s resolved to %+v; want no match", what, got)
	}
}

func keysToItems(names ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(names))
	for i, n := range names {
		out[i] = obj("name", n)
	}
	return out
}

// tableOf builds a table of sources whole (not through Set).
func tableOf(sources map[string][]protocol.Backend, naming string) *Table {
	m := make(map[string][]src, len(sources))
	for agent, bs := range sources {
		if len(bs) > 0 {
			m[agent] = sourcesOf(agent, bs, naming)
		}
	}
	return &Table{st: build(m)}
}
