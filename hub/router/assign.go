package router

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// tset is a persistent set of targets, in target order.
type tset = ptree[Target, struct{}]

func cmpTarget(a, b Target) int {
	return cmp.Or(cmp.Compare(a.Agent, b.Agent), cmp.Compare(a.Backend, b.Backend), cmp.Compare(a.Name, b.Name))
}

func newSet() tset { return newTree[Target, struct{}](cmpTarget) }

// assigner gives every target a unique name from its canonical name (assign's rules: the
// first target in target order keeps the canonical name, the others get a hashed variant),
// kept up to date one target at a time: adding or removing a target touches its own group
// of equal canonical names only, O(log n).
//
// assign also steps past a variant that is already taken (by a canonical name or another
// variant), in an order that spans every group. That never happens by chance (the variant
// carries a hash of the target) and cannot be kept up to date locally, so when it would be
// needed the update reports that it is not exact (settle returns false) and the caller
// builds everything again with assign (full); such a table stays irregular, and is built
// whole on every change, until a full build finds no variant taken.
type assigner struct {
	groups    ptree[string, tset]   // canonical name → its targets
	owner     ptree[string, Target] // assigned name → its target
	name      ptree[Target, string] // target → its assigned name
	multi     ptree[string, bool]   // canonical names of more than one target (collisions)
	irregular bool                  // a full build stepped past a taken variant
}

func newAssigner() assigner {
	return assigner{
		groups: newTree[string, tset](cmp.Compare[string]),
		owner:  newTree[string, Target](cmp.Compare[string]),
		name:   newTree[Target, string](cmpTarget),
		multi:  newTree[string, bool](cmp.Compare[string]),
	}
}

// named is a target with its canonical name.
type named struct {
	tgt   Target
	canon string
}

func variant(canon string, tgt Target) string {
	return mcp.Disambiguate(canon, tgt.Agent+"\x00"+tgt.Backend+"\x00"+tgt.Name)
}

// remove drops a target; renamed gets the name it had.
func (a *assigner) remove(t named, renamed func(string)) {
	if g, ok := a.groups.Get(t.canon); ok {
		if g = g.Delete(t.tgt); g.Len() == 0 {
			a.groups = a.groups.Delete(t.canon)
		} else {
			a.groups = a.groups.Set(t.canon, g)
		}
	}
	if n, ok := a.name.Get(t.tgt); ok {
		if o, _ := a.owner.Get(n); o == t.tgt {
			a.owner = a.owner.Delete(n)
		}
		a.name = a.name.Delete(t.tgt)
		renamed(n)
	}
}

// add puts a target in its group; settle names it.
func (a *assigner) add(t named) {
	g, ok := a.groups.Get(t.canon)
	if !ok {
		g = newSet()
	}
	a.groups = a.groups.Set(t.canon, g.Set(t.tgt, struct{}{}))
}

// settle names the targets added since the last settle and renames those whose group
// changed (canons: the canonical names of every target added or removed). changed gets each
// target whose name changed, renamed each name given or taken back. It returns false when
// the result would differ from assign's, see assigner.
func (a *assigner) settle(added []named, canons []string, changed func(Target), renamed func(string)) bool {
	if a.irregular {
		return false
	}
	set := func(t Target, n string) {
		if old, ok := a.name.Get(t); ok {
			if old == n {
				return
			}
			if o, _ := a.owner.Get(old); o == t {
				a.owner = a.owner.Delete(old)
			}
			renamed(old)
		}
		a.owner, a.name = a.owner.Set(n, t), a.name.Set(t, n)
		changed(t)
		renamed(n)
	}
	for _, c := range canons {
		g, ok := a.groups.Get(c)
		if !ok {
			a.multi = a.multi.Delete(c)
			continue
		}
		if g.Len() > 1 {
			a.multi = a.multi.Set(c, true)
		} else {
			a.multi = a.multi.Delete(c)
		}
		w, _, _ := g.Min()
		if o, ok := a.owner.Get(c); ok && o != w {
			if !g.Has(o) {
				return false // the canonical name is another group's variant
			}
			v := variant(c, o)
			if a.taken(v, o) {
				return false
			}
			set(w, c) // takes c over from o
			set(o, v)
		} else {
			set(w, c)
		}
	}
	for _, t := range added {
		if n, ok := a.name.Get(t.tgt); ok && n == t.canon {
			continue
		}
		v := variant(t.canon, t.tgt)
		if a.taken(v, t.tgt) {
			return false
		}
		set(t.tgt, v)
	}
	return true
}

// taken reports whether a variant is a canonical name or another target's name.
func (a *assigner) taken(v string, t Target) bool {
	if a.groups.Has(v) {
		return true
	}
	o, ok := a.owner.Get(v)
	return ok && o != t
}

// full names every target with assign, the reference rules; all is in target order and
// the assigner is empty.
func (a *assigner) full(all []named) {
	canon := make([]string, len(all))
	for i, t := range all {
		canon[i] = t.canon
		a.add(t)
	}
	names, _ := assign(canon, func(i int) Target { return all[i].tgt }, "")
	for i, t := range all {
		a.owner, a.name = a.owner.Set(names[i], t.tgt), a.name.Set(t.tgt, names[i])
		if names[i] != t.canon && names[i] != variant(t.canon, t.tgt) {
			a.irregular = true
		}
	}
	a.groups.Each(func(c string, g tset) bool {
		if g.Len() > 1 {
			a.multi = a.multi.Set(c, true)
		}
		return true
	})
}

// collisions lists the groups of more than one target, by canonical name.
func (a *assigner) collisions(kind string, expose func(string) string) []Collision {
	var out []Collision
	a.multi.Each(func(c string, _ bool) bool {
		g, _ := a.groups.Get(c)
		col := Collision{Kind: kind, Exposed: expose(c)}
		g.Each(func(t Target, _ struct{}) bool {
			n, _ := a.name.Get(t)
			col.Targets, col.Names = append(col.Targets, t), append(col.Names, expose(n))
			return true
		})
		out = append(out, col)
		return true
	})
	return out
}

// assign gives each canonical name (in target order) a unique exposed name: the first
// target keeps it, later ones get a hashed variant; every shared name is a Collision.
func assign(canon []string, target func(int) Target, kind string) ([]string, []Collision) {
	out := make([]string, len(canon))
	owner := make(map[string]int, len(canon)) // exposed name → index of its target
	var losers []int
	for i, c := range canon {
		if _, taken := owner[c]; taken {
			losers = append(losers, i)
			continue
		}
		owner[c], out[i] = i, c
	}
	var collisions []Collision
	byName := make(map[string]int) // canonical name → index in collisions
	for _, i := range losers {
		tgt := target(i)
		key := tgt.Agent + "\x00" + tgt.Backend + "\x00" + tgt.Name
		v := mcp.Disambiguate(canon[i], key)
		for n := 1; hasKey(owner, v); n++ {
			v = mcp.Disambiguate(canon[i], key+"\x00"+strconv.Itoa(n))
		}
		owner[v], out[i] = i, v
		ci, ok := byName[canon[i]]
		if !ok {
			ci = len(collisions)
			byName[canon[i]] = ci
			collisions = append(collisions, Collision{Kind: kind, Exposed: canon[i],
				Targets: []Target{target(owner[canon[i]])}, Names: []string{canon[i]}})
		}
		collisions[ci].Targets = append(collisions[ci].Targets, tgt)
		collisions[ci].Names = append(collisions[ci].Names, v)
	}
	slices.SortFunc(collisions, func(a, b Collision) int { return cmp.Compare(a.Exposed, b.Exposed) })
	return out, collisions
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}
