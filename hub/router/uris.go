package router

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// uriItem is one exposed resource or resource template; never modified once in a table.
type uriItem struct {
	tgt      Target
	e        *entry
	auto     bool
	exposed  string // the URI verbatim, or prefixed with its backend's prefix
	raw      json.RawMessage
	verbatim bool
	mk       *mkey // its matcher's key, for a template listed verbatim that compiles
}

// mkey orders matchers most specific first: the longest literal head, then the template.
type mkey struct {
	head int
	name string
}

func cmpMKey(a, b mkey) int { return cmp.Or(cmp.Compare(b.head, a.head), cmp.Compare(a.name, b.name)) }

// uriSet is the exposed side of resources or of resource templates.
type uriSet struct {
	field  string // "uri" or "uriTemplate"
	items  ptree[Target, *uriItem]
	byURI  ptree[string, tset] // URI → every target listing it
	listed ptree[string, *uriItem]
	verb   ptree[string, Target] // URIs listed verbatim
}

func newURISet(field string) uriSet {
	return uriSet{
		field:  field,
		items:  newTree[Target, *uriItem](cmpTarget),
		byURI:  newTree[string, tset](cmp.Compare[string]),
		listed: newTree[string, *uriItem](cmp.Compare[string]),
		verb:   newTree[string, Target](cmp.Compare[string]),
	}
}

// resources is the exposed side of resources and resource templates.
type resources struct {
	px       assigner // URI prefixes: targets are backends (Name "")
	uris     uriSet
	tmpls    uriSet
	matchers ptree[mkey, matcher] // templates listed verbatim
}

func newResources() resources {
	return resources{px: newAssigner(), uris: newURISet("uri"), tmpls: newURISet("uriTemplate"),
		matchers: newTree[mkey, matcher](cmpMKey)}
}

// defaultPrefix is the URI prefix of a backend before collisions are resolved.
func defaultPrefix(agent, backend string) string {
	p := mcp.Join(backend)
	if agent != "" {
		p = mcp.Join(agent, backend)
	}
	if p == "" {
		return "_"
	}
	return p
}

func (r *resources) prefixOf(agent, backend string) (string, bool) {
	return r.px.name.Get(Target{Agent: agent, Backend: backend})
}

// uriChange is what one update does to one uriSet.
type uriChange struct {
	gone    []Target
	added   []*uriItem
	touched map[string]struct{}
}

// apply updates the prefixes (gone and added ready backends) and both lists. It returns the
// backends whose prefix changed, and false when the prefixes could not be kept exact (see
// assigner); r must then be rebuilt.
func (r *resources) apply(gone, added []named, res, tmpl uriChange, full bool) (map[Target]struct{}, bool) {
	moved := map[Target]struct{}{}
	var canons []string
	for _, b := range gone {
		r.px.remove(b, func(string) {})
		canons = append(canons, b.canon)
	}
	if full {
		r.px.full(added)
		for _, b := range added {
			moved[b.tgt] = struct{}{}
		}
	} else {
		for _, b := range added {
			r.px.add(b)
			canons = append(canons, b.canon)
		}
		if !r.px.settle(added, canons, func(t Target) { moved[t] = struct{}{} }, func(string) {}) {
			return nil, false
		}
	}
	r.uris.apply(r, res, moved, nil)
	r.tmpls.apply(r, tmpl, moved, &r.matchers)
	return moved, true
}

func (s *uriSet) apply(r *resources, c uriChange, moved map[Target]struct{}, matchers *ptree[mkey, matcher]) {
	dirty := map[Target]struct{}{}
	uris := map[string]int{} // URIs whose sole holder may have changed → holders before
	touchURI := func(u string) {
		if _, ok := uris[u]; !ok {
			h, _ := s.byURI.Get(u)
			uris[u] = h.Len()
		}
	}
	for _, t := range c.gone {
		it, ok := s.items.Get(t)
		if !ok {
			continue
		}
		s.unlist(it, c.touched, matchers)
		s.items = s.items.Delete(t)
		touchURI(t.Name)
		h, _ := s.byURI.Get(t.Name)
		if h = h.Delete(t); h.Len() == 0 {
			s.byURI = s.byURI.Delete(t.Name)
		} else {
			s.byURI = s.byURI.Set(t.Name, h)
		}
	}
	for _, it := range c.added {
		s.items = s.items.Set(it.tgt, it)
		dirty[it.tgt] = struct{}{}
		touchURI(it.tgt.Name)
		h, ok := s.byURI.Get(it.tgt.Name)
		if !ok {
			h = newSet()
		}
		s.byURI = s.byURI.Set(it.tgt.Name, h.Set(it.tgt, struct{}{}))
	}
	for b := range moved { // every item of a backend whose prefix changed
		s.items.After(b, func(t Target, _ *uriItem) bool {
			if t.Agent != b.Agent || t.Backend != b.Backend {
				return false
			}
			dirty[t] = struct{}{}
			return true
		})
	}
	for u, before := range uris {
		h, _ := s.byURI.Get(u)
		if before <= 1 || h.Len() == 1 {
			h.Each(func(t Target, _ struct{}) bool { dirty[t] = struct{}{}; return true })
		}
	}
	var next []*uriItem
	for t := range dirty {
		it, ok := s.items.Get(t)
		if !ok {
			continue
		}
		h, _ := s.byURI.Get(t.Name)
		verbatim := it.auto && h.Len() == 1 && !strings.HasPrefix(t.Name, mcp.URIScheme)
		exposed := t.Name
		if !verbatim {
			p, _ := r.prefixOf(t.Agent, t.Backend)
			exposed = mcp.PrefixURI(p, t.Name)
		}
		if it.raw != nil && it.exposed == exposed {
			continue
		}
		s.unlist(it, c.touched, matchers)
		nit := *it
		nit.exposed, nit.verbatim, nit.mk = exposed, verbatim, nil
		nit.raw = it.e.rewrite(s.field, exposed)
		next = append(next, &nit)
	}
	for _, it := range next {
		if it.verbatim {
			s.verb = s.verb.Set(it.tgt.Name, it.tgt)
			if matchers != nil {
				if m, ok := it.e.template(); ok {
					m.tgt = it.tgt
					k := mkey{len(m.head), it.tgt.Name}
					it.mk = &k
					*matchers = matchers.Set(k, m)
				}
			}
		}
		s.items = s.items.Set(it.tgt, it)
		s.listed = s.listed.Set(it.exposed, it)
		c.touched[it.exposed] = struct{}{}
	}
}

func (s *uriSet) unlist(it *uriItem, touched map[string]struct{}, matchers *ptree[mkey, matcher]) {
	if it.raw == nil {
		return // not listed yet
	}
	if l, ok := s.listed.Get(it.exposed); ok && l.tgt == it.tgt {
		s.listed = s.listed.Delete(it.exposed)
		touched[it.exposed] = struct{}{}
	}
	if it.verbatim {
		if v, _ := s.verb.Get(it.tgt.Name); v == it.tgt {
			s.verb = s.verb.Delete(it.tgt.Name)
		}
	}
	if it.mk != nil && matchers != nil {
		if m, ok := matchers.Get(*it.mk); ok && m.tgt == it.tgt {
			*matchers = matchers.Delete(*it.mk)
		}
	}
}

// verbatim resolves an unprefixed URI: listed exactly, or matching a listed template.
func (r *resources) verbatim(uri string) (Target, bool) {
	if tg, ok := r.uris.verb.Get(uri); ok {
		return tg, true
	}
	if tg, ok := r.tmpls.verb.Get(uri); ok {
		return tg, true
	}
	var out Target
	found := false
	r.matchers.Each(func(_ mkey, m matcher) bool {
		if m.match(uri) {
			out, found = Target{Agent: m.tgt.Agent, Backend: m.tgt.Backend, Name: uri}, true
			return false
		}
		return true
	})
	return out, found
}
