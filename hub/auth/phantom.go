package auth

import (
	"sync"
	"time"
)

// maxPhantoms bounds the unknown names whose failed logins are counted.
const maxPhantoms = 10000

// phantoms counts failed logins of names that are no user, so that an unknown name locks
// after MaxFailures like a user does: otherwise a 423 after a few wrong passwords would
// tell that a name exists. In memory, per hub; at most maxPhantoms names.
type phantoms struct {
	mu sync.Mutex
	m  map[string]*phantom
}

type phantom struct {
	fails int
	until time.Time // locked until; zero: not locked
}

// locked returns the end of name's lock, if it is locked at now.
func (p *phantoms) locked(name string, now time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.m[name]
	if e == nil || e.until.IsZero() {
		return time.Time{}, false
	}
	if now.Before(e.until) {
		return e.until, true
	}
	delete(p.m, name) // the lock is over: the count starts again
	return time.Time{}, false
}

// fail counts a failed login of name, locking it at max failures for lockFor.
func (p *phantoms) fail(name string, now time.Time, max int, lockFor time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = make(map[string]*phantom)
	}
	e := p.m[name]
	if e == nil {
		if len(p.m) >= maxPhantoms {
			p.evict(now)
		}
		e = &phantom{}
		p.m[name] = e
	}
	e.fails++
	if e.fails >= max {
		e.until = now.Add(lockFor)
	}
}

// evict drops the names whose lock has ended, then, if the map is still full, every name
// that is not locked, then all.
func (p *phantoms) evict(now time.Time) {
	for _, keep := range []func(*phantom) bool{
		func(e *phantom) bool { return e.until.IsZero() || now.Before(e.until) },
		func(e *phantom) bool { return now.Before(e.until) },
		func(*phantom) bool { return false },
	} {
		for k, e := range p.m {
			if !keep(e) {
				delete(p.m, k)
			}
		}
		if len(p.m) < maxPhantoms {
			return
		}
	}
}
