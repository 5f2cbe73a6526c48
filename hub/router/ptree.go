package router

import "math/rand/v2"

// ptree is a persistent (immutable) ordered map: a treap whose updates copy only the nodes on
// the path they change, O(log n) each, so that every routing table keeps its own version
// while the next one shares all the rest with it. The zero value is an empty map; a nil cmp
// is never called on an empty map. Values are stored as given: callers must not modify
// what a value points to after storing it.
type ptree[K, V any] struct {
	root *pnode[K, V]
	cmp  func(a, b K) int
}

type pnode[K, V any] struct {
	k    K
	v    V
	pri  uint32
	size int
	l, r *pnode[K, V]
}

func newTree[K, V any](cmp func(a, b K) int) ptree[K, V] { return ptree[K, V]{cmp: cmp} }

func (n *pnode[K, V]) sz() int {
	if n == nil {
		return 0
	}
	return n.size
}

func (n *pnode[K, V]) fix() *pnode[K, V] { n.size = 1 + n.l.sz() + n.r.sz(); return n }

func (n *pnode[K, V]) clone() *pnode[K, V] { c := *n; return &c }

// Len is the number of keys.
func (t ptree[K, V]) Len() int { return t.root.sz() }

// Get returns the value of k.
func (t ptree[K, V]) Get(k K) (V, bool) {
	n := t.root
	for n != nil {
		switch c := t.cmp(k, n.k); {
		case c < 0:
			n = n.l
		case c > 0:
			n = n.r
		default:
			return n.v, true
		}
	}
	var zero V
	return zero, false
}

// Has reports whether k is a key.
func (t ptree[K, V]) Has(k K) bool { _, ok := t.Get(k); return ok }

// Min returns the smallest key and its value.
func (t ptree[K, V]) Min() (K, V, bool) {
	n := t.root
	if n == nil {
		var k K
		var v V
		return k, v, false
	}
	for n.l != nil {
		n = n.l
	}
	return n.k, n.v, true
}

// Set returns the map with k set to v.
func (t ptree[K, V]) Set(k K, v V) ptree[K, V] {
	if t.Has(k) {
		t.root = t.replace(t.root, k, v)
		return t
	}
	t.root = t.insert(t.root, &pnode[K, V]{k: k, v: v, pri: rand.Uint32(), size: 1})
	return t
}

// Delete returns the map without k.
func (t ptree[K, V]) Delete(k K) ptree[K, V] {
	if t.Has(k) {
		t.root = t.del(t.root, k)
	}
	return t
}

func (t ptree[K, V]) replace(n *pnode[K, V], k K, v V) *pnode[K, V] {
	n = n.clone()
	switch c := t.cmp(k, n.k); {
	case c < 0:
		n.l = t.replace(n.l, k, v)
	case c > 0:
		n.r = t.replace(n.r, k, v)
	default:
		n.v = v
	}
	return n
}

// insert adds nn, whose key is not in n.
func (t ptree[K, V]) insert(n, nn *pnode[K, V]) *pnode[K, V] {
	if n == nil {
		return nn
	}
	if nn.pri > n.pri {
		nn.l, nn.r = t.split(n, nn.k)
		return nn.fix()
	}
	n = n.clone()
	if t.cmp(nn.k, n.k) < 0 {
		n.l = t.insert(n.l, nn)
	} else {
		n.r = t.insert(n.r, nn)
	}
	return n.fix()
}

// split returns the keys of n below k and those above it (k itself is not in n).
func (t ptree[K, V]) split(n *pnode[K, V], k K) (l, r *pnode[K, V]) {
	if n == nil {
		return nil, nil
	}
	n = n.clone()
	if t.cmp(k, n.k) < 0 {
		l, n.l = t.split(n.l, k)
		return l, n.fix()
	}
	n.r, r = t.split(n.r, k)
	return n.fix(), r
}

// merge joins two treaps, every key of a below every key of b.
func merge[K, V any](a, b *pnode[K, V]) *pnode[K, V] {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.pri > b.pri:
		a = a.clone()
		a.r = merge(a.r, b)
		return a.fix()
	default:
		b = b.clone()
		b.l = merge(a, b.l)
		return b.fix()
	}
}

func (t ptree[K, V]) del(n *pnode[K, V], k K) *pnode[K, V] {
	switch c := t.cmp(k, n.k); {
	case c < 0:
		n = n.clone()
		n.l = t.del(n.l, k)
	case c > 0:
		n = n.clone()
		n.r = t.del(n.r, k)
	default:
		return merge(n.l, n.r)
	}
	return n.fix()
}

// Each calls fn on every key in order until it returns false.
func (t ptree[K, V]) Each(fn func(K, V) bool) { each(t.root, fn) }

func each[K, V any](n *pnode[K, V], fn func(K, V) bool) bool {
	for n != nil {
		if !each(n.l, fn) || !fn(n.k, n.v) {
			return false
		}
		n = n.r
	}
	return true
}

// After calls fn on every key above k, in order, until it returns false.
func (t ptree[K, V]) After(k K, fn func(K, V) bool) { t.after(t.root, k, fn) }

func (t ptree[K, V]) after(n *pnode[K, V], k K, fn func(K, V) bool) bool {
	for n != nil {
		if t.cmp(n.k, k) <= 0 {
			n = n.r
			continue
		}
		if !t.after(n.l, k, fn) || !fn(n.k, n.v) {
			return false
		}
		return each(n.r, fn)
	}
	return true
}

// Values returns the values in key order.
func (t ptree[K, V]) Values() []V {
	out := make([]V, 0, t.Len())
	t.Each(func(_ K, v V) bool { out = append(out, v); return true })
	return out
}

// only returns the one key of a map of one key.
func (t ptree[K, V]) only() (K, bool) {
	if t.Len() != 1 {
		var k K
		return k, false
	}
	return t.root.k, true
}
