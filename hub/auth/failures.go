package auth

import (
	"strings"
	"sync"
	"time"
)

// maxTracked bounds the entries of one failures table.
const maxTracked = 10000

// failures counts failed logins in memory (per hub) by a string key, and locks a key for
// a while at a threshold. Two tables use it: one keyed by (name, client address), the
// per-address throttle of every name; one keyed by name, the all-addresses backstop of
// names that have no password to count in the store (unknown names, users without a
// password), so that they lock like users do and the lockout tells no names apart.
type failures struct {
	mu sync.Mutex
	m  map[string]*failure
}

type failure struct {
	fails int
	until time.Time // locked until; zero: not locked
}

// locked returns the end of key's lock, if it is locked at now.
func (p *failures) locked(key string, now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[key]
	if e == nil || e.until.IsZero() {
		return time.Time{}, false
	}
	if now.Before(e.until) {
		return e.until, true
	}
	delete(p.m, key) // the lock is over: the count starts again
	return time.Time{}, false
}

// fail counts a failed login of key, locking it at max failures for lockFor.
func (p *failures) fail(key string, now time.Time, max int, lockFor time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]*failure)
	}
	e := p.m[key]
	if e == nil {
		if len(p.m) >= maxTracked {
			p.evict(now)
		}
		e = &failure{}
		p.m[key] = e
	}
	e.fails++
	if e.fails >= max {
		e.until = now.Add(lockFor)
	}
}

// forget drops key's count (a successful login).
func (p *failures) forget(key string) {
	p.mu.Lock()
	delete(p.m, key)
	p.mu.Unlock()
}

// forgetPrefix drops the counts of every key that starts with prefix (an administrator's
// new password lifts the user's locks from every address).
func (p *failures) forgetPrefix(prefix string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.m {
		if strings.HasPrefix(k, prefix) {
			delete(p.m, k)
		}
	}
}

// evict drops the keys whose lock has ended, then, if the map is still full, every key
// that is not locked, then all.
func (p *failures) evict(now time.Time) {
	for _, keep := range []func(*failure) bool{
		func(e *failure) bool { return e.until.IsZero() || now.Before(e.until) },
		func(e *failure) bool { return now.Before(e.until) },
		func(*failure) bool { return false },
	} {
		for k, e := range p.m {
			if !keep(e) {
				delete(p.m, k)
			}
		}
		if len(p.m) < maxTracked {
			return
		}
	}
}

// fromKey is the per-address table's key of name tried from the client address from.
func fromKey(name, from string) string { return name + "\x00" + from }
