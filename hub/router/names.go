package router

import (
	"cmp"
	"encoding/json"
	"slices"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

func prefixedName(tgt Target) string {
	if tgt.Agent == "" {
		return mcp.Join(tgt.Backend, tgt.Name)
	}
	return mcp.Join(tgt.Agent, tgt.Backend, tgt.Name)
}

// item is one exposed tool or prompt. Items are never modified once in a table: a change
// makes a new one.
type item struct {
	tgt      Target
	e        *entry
	auto     bool
	assigned string          // the name assign gives it (prefixed, or a variant)
	exposed  string          // listed under: assigned, or the original name (auto mode)
	raw      json.RawMessage // e.raw with the name rewritten to exposed
}

// names is the exposed side of one kind of named item (tools or prompts), updated one
// backend's items at a time.
type names struct {
	as     assigner
	items  ptree[Target, *item]
	byOrig ptree[string, tset]   // original name → every target of that name
	listed ptree[string, *item]  // exposed name → item: the sorted list
	alias  ptree[string, string] // an auto-mode item's listed original name ↔ its assigned name
}

func newNames() names {
	return names{
		as:     newAssigner(),
		items:  newTree[Target, *item](cmpTarget),
		byOrig: newTree[string, tset](cmp.Compare[string]),
		listed: newTree[string, *item](cmp.Compare[string]),
		alias:  newTree[string, string](cmp.Compare[string]),
	}
}

// lookup resolves an exposed name, listed or alias.
func (n *names) lookup(name string) (Target, bool) {
	if it, ok := n.listed.Get(name); ok {
		return it.tgt, true
	}
	if other, ok := n.alias.Get(name); ok {
		if it, ok := n.listed.Get(other); ok {
			return it.tgt, true
		}
	}
	return Target{}, false
}

// apply removes the items of gone and adds those of added (new items, not yet named),
// recording in touched every listed name that appeared or went. With full, n is empty and
// the names are assigned by the reference rules in one pass. It returns false when the
// result would not be exact (see assigner); n is then partly updated and must be rebuilt.
func (n *names) apply(gone []Target, added []*item, full bool, touched map[string]struct{}) bool {
	dirty := map[Target]struct{}{}
	origs := map[string]int{} // original names whose sole holder may have changed → size before
	touchOrig := func(o string) {
		if _, ok := origs[o]; !ok {
			s, _ := n.byOrig.Get(o)
			origs[o] = s.Len()
		}
	}
	var canons []string
	for _, t := range gone {
		it, ok := n.items.Get(t)
		if !ok {
			continue
		}
		n.unlist(it, touched)
		n.items = n.items.Delete(t)
		n.as.remove(named{t, it.e.canon}, touchOrig)
		canons = append(canons, it.e.canon)
		touchOrig(t.Name)
		s, _ := n.byOrig.Get(t.Name)
		if s = s.Delete(t); s.Len() == 0 {
			n.byOrig = n.byOrig.Delete(t.Name)
		} else {
			n.byOrig = n.byOrig.Set(t.Name, s)
		}
	}
	adds := make([]named, len(added))
	for i, it := range added {
		n.items = n.items.Set(it.tgt, it)
		adds[i] = named{it.tgt, it.e.canon}
		canons = append(canons, it.e.canon)
		dirty[it.tgt] = struct{}{}
		touchOrig(it.tgt.Name)
		s, ok := n.byOrig.Get(it.tgt.Name)
		if !ok {
			s = newSet()
		}
		n.byOrig = n.byOrig.Set(it.tgt.Name, s.Set(it.tgt, struct{}{}))
	}
	if full {
		// assign wants target order.
		slices.SortFunc(adds, func(a, b named) int { return cmpTarget(a.tgt, b.tgt) })
		n.as.full(adds)
	} else {
		for _, a := range adds {
			n.as.add(a)
		}
		if !n.as.settle(adds, canons, func(t Target) { dirty[t] = struct{}{} }, touchOrig) {
			return false
		}
	}
	for o, before := range origs {
		s, _ := n.byOrig.Get(o)
		if before <= 1 || s.Len() == 1 {
			s.Each(func(t Target, _ struct{}) bool { dirty[t] = struct{}{}; return true })
		}
	}
	// Unlist every item that changes, then list them: two items may swap a name.
	var next []*item
	for t := range dirty {
		it, ok := n.items.Get(t)
		if !ok {
			continue
		}
		assigned, _ := n.as.name.Get(t)
		exposed := assigned
		if it.auto && mcp.ValidName(t.Name) && !n.as.owner.Has(t.Name) {
			if s, _ := n.byOrig.Get(t.Name); s.Len() == 1 {
				exposed = t.Name
			}
		}
		if it.assigned == assigned && it.exposed == exposed {
			continue
		}
		n.unlist(it, touched)
		nit := *it
		nit.assigned, nit.exposed = assigned, exposed
		if it.raw == nil || it.exposed != exposed {
			nit.raw = it.e.rewrite("name", exposed)
		}
		next = append(next, &nit)
	}
	for _, it := range next {
		n.items = n.items.Set(it.tgt, it)
		n.listed = n.listed.Set(it.exposed, it)
		touched[it.exposed] = struct{}{}
		if it.exposed != it.assigned {
			n.alias = n.alias.Set(it.exposed, it.assigned).Set(it.assigned, it.exposed)
		}
	}
	return true
}

// unlist takes an item (as it is in the table) out of the list and the aliases.
func (n *names) unlist(it *item, touched map[string]struct{}) {
	if it.exposed == "" {
		return // not listed yet
	}
	if l, ok := n.listed.Get(it.exposed); ok && l.tgt == it.tgt {
		n.listed = n.listed.Delete(it.exposed)
		touched[it.exposed] = struct{}{}
	}
	if it.exposed != it.assigned {
		if a, _ := n.alias.Get(it.exposed); a == it.assigned {
			n.alias = n.alias.Delete(it.exposed)
		}
		if a, _ := n.alias.Get(it.assigned); a == it.exposed {
			n.alias = n.alias.Delete(it.assigned)
		}
	}
}

// rewrite returns e's raw JSON with field set to exposed.
func (e *entry) rewrite(field, exposed string) json.RawMessage {
	if exposed == e.name {
		return e.raw
	}
	out, err := mcp.SetStringField(e.raw, field, exposed)
	if err != nil {
		return e.raw // unreachable: parseList kept valid objects only
	}
	return out
}
