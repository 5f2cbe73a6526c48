package discovery

import (
	"encoding/json"
	"sync/atomic"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

// Catalog is the search index of one routing table as the governance registry describes it:
// its tools first, in the table's order (hit i < Tools() is Table.Tools()[i], so the
// callers' tools/list visibility filter applies to hits unchanged), then its prompts,
// resources and resource templates.
type Catalog struct {
	*Index
	tools *tools.Index
	raw   []json.RawMessage // each doc's definition as the client sees it
	nTool int
}

// NewCatalog indexes what x and its routing table expose.
func NewCatalog(x *tools.Index) *Catalog {
	t := x.Table()
	listed := x.Listed()
	docs := make([]Doc, 0, len(listed)+len(t.Prompts())+len(t.Resources())+len(t.ResourceTemplates()))
	raw := make([]json.RawMessage, 0, cap(docs))
	for i := range listed {
		ti := &listed[i]
		d := ToolDoc(ti.Raw)
		d.Name, d.Agent, d.Backend, d.Risk = ti.Name, ti.Agent, ti.Backend, ti.Risk
		if ti.Tool != ti.Name {
			d.Original = ti.Tool
		}
		docs = append(docs, d)
		raw = append(raw, ti.Raw)
	}
	add := func(l router.List, doc func([]byte) Doc, resolve func(string) (router.Target, bool)) {
		for i, item := range l.Items {
			d := doc(item)
			d.Name = l.Keys[i]
			if tg, ok := resolve(d.Name); ok {
				d.Agent, d.Backend = tg.Agent, tg.Backend
				if tg.Name != d.Name {
					d.Original = tg.Name
				}
			}
			docs = append(docs, d)
			raw = append(raw, item)
		}
	}
	add(t.PromptList(), PromptDoc, t.Prompt)
	add(t.ResourceList(), func(b []byte) Doc { return ResourceDoc(b, false) }, t.Resource)
	add(t.ResourceTemplateList(), func(b []byte) Doc { return ResourceDoc(b, true) }, t.ResourceTemplate)
	return &Catalog{Index: Build(docs), tools: x, raw: raw, nTool: len(listed)}
}

// Tools is the number of tools: hits below it are tools.
func (c *Catalog) Tools() int { return c.nTool }

// ToolIndex is the governance index the catalog was built from.
func (c *Catalog) ToolIndex() *tools.Index { return c.tools }

// Doc is doc i (tools first, then prompts and resources).
func (c *Catalog) Doc(i int) *Doc { return &c.docs[i] }

// Raw is the definition of doc i as clients see it in the lists (names rewritten).
func (c *Catalog) Raw(i int) json.RawMessage { return c.raw[i] }

// Find returns the doc of a kind ("" for any, tools first) with an exposed name or URI.
func (c *Catalog) Find(kind, name string) (int, bool) {
	for _, i := range c.names[lower(name)] {
		if d := &c.docs[i]; d.Name == name && (kind == "" || d.Kind == kind) {
			return i, true
		}
	}
	if kind == "" || kind == KindTool {
		// An alias (naming mode auto) resolves to the tool listed under the other name.
		if tg, ok := c.tools.Table().Tool(name); ok {
			if info, ok := c.tools.Lookup(tg); ok {
				for _, i := range c.names[lower(info.Name)] {
					if c.docs[i].Kind == KindTool && c.docs[i].Name == info.Name {
						return i, true
					}
				}
			}
		}
	}
	return 0, false
}

// Cache holds the catalog of the newest governance index, rebuilt when it changes.
type Cache struct {
	cur atomic.Pointer[Catalog]
}

// For returns the catalog of x, building it on first use.
func (c *Cache) For(x *tools.Index) *Catalog {
	if cat := c.cur.Load(); cat != nil && cat.tools == x {
		return cat
	}
	cat := NewCatalog(x)
	c.cur.Store(cat)
	return cat
}
