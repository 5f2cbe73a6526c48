// Package ratelimit limits the request rate of each key and each application with token
// buckets held in memory. A bucket idle long enough to be full again is forgotten: it is
// indistinguishable from a new one, so memory follows the active callers only.
package ratelimit

import (
	"context"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Rate is a sustained rate in requests per second and a burst. PerSecond 0: no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Config are a Limiter's rates.
type Config struct {
	Key          Rate            // every key (or user, or anonymous callers)
	Application  Rate            // every application, its keys together
	Keys         map[string]Rate // overrides by key id
	Applications map[string]Rate // overrides by application name
	Now          func() time.Time
}

// Subject is who a request counts against: its key (never empty; see the callers for what
// stands in for a missing key) and its application ("" for none).
type Subject struct {
	Key, Application string
}

// Scopes of a refusal: which bucket was empty.
const (
	ScopeKey         = "key"
	ScopeApplication = "application"
)

// Refusal says why a request was refused and when to retry.
type Refusal struct {
	Scope      string        // ScopeKey or ScopeApplication
	Setting    string        // the hub.toml setting that sets the rate
	Rate       Rate          // the rate that was exceeded
	RetryAfter time.Duration // when one request will be allowed again
}

// Seconds is RetryAfter rounded up to whole seconds, at least 1: the Retry-After value.
func (r *Refusal) Seconds() int {
	return max(1, int(math.Ceil(r.RetryAfter.Seconds())))
}

// Error is the message for people.
func (r *Refusal) Error() string {
	who := "this key"
	if r.Scope == ScopeApplication {
		who = "this key's application"
	}
	return "rate limit of " + who + " reached (" + r.Setting + ": " + strconv.FormatFloat(r.Rate.PerSecond, 'g', -1, 64) +
		" requests/s, burst " + strconv.Itoa(r.Rate.Burst) + "); retry after " + strconv.Itoa(r.Seconds()) + " s"
}

// Stats are a limiter's counts.
type Stats struct {
	Buckets int              // buckets held now
	Refused map[string]int64 // requests refused since start, by scope
}

// maxBuckets is how many buckets trigger a sweep on insert, besides the periodic one.
const maxBuckets = 100_000

// Limiter holds the buckets. Call Run to forget idle ones.
type Limiter struct {
	cfg Config

	mu        sync.Mutex
	buckets   map[bucketID]*bucket
	lastSweep time.Time

	refusedKey, refusedApp atomic.Int64
}

type bucketID struct {
	app  bool // an application's bucket, else a key's
	name string
}

// New returns a limiter.
func New(cfg Config) *Limiter {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, buckets: map[bucketID]*bucket{}}
}

// Allow takes a token from the subject's key bucket and application bucket, or from
// neither and returns why not.
func (l *Limiter) Allow(s Subject) *Refusal {
	kr, kset := rateFor(l.cfg.Key, l.cfg.Keys, s.Key, "limits.key_rate", "limits.key_rates")
	ar, aset := rateFor(l.cfg.Application, l.cfg.Applications, s.Application, "limits.application_rate", "limits.application_rates")
	if s.Application == "" {
		ar.PerSecond = 0
	}
	if kr.PerSecond <= 0 && ar.PerSecond <= 0 {
		return nil
	}
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	kb := l.bucket(bucketID{name: s.Key}, kr, now)
	ab := l.bucket(bucketID{app: true, name: s.Application}, ar, now)
	// Both are checked before either is taken from: a refused request costs nothing.
	if w := kb.wait(now); w > 0 {
		l.refusedKey.Add(1)
		return &Refusal{Scope: ScopeKey, Setting: kset, Rate: kr, RetryAfter: w}
	}
	if w := ab.wait(now); w > 0 {
		l.refusedApp.Add(1)
		return &Refusal{Scope: ScopeApplication, Setting: aset, Rate: ar, RetryAfter: w}
	}
	kb.take()
	ab.take()
	return nil
}

// rateFor is the rate of name: its override if any, else the default; and the setting
// that says so.
func rateFor(def Rate, overrides map[string]Rate, name, defSetting, overSetting string) (Rate, string) {
	r, setting := def, defSetting
	if o, ok := overrides[name]; ok {
		r, setting = o, overSetting+"."+strconv.Quote(name)
	}
	if r.PerSecond > 0 && r.Burst < 1 {
		r.Burst = 1 // a bucket that can never hold a token would refuse everything
	}
	return r, setting
}

// bucket finds or makes a bucket; nil when the rate is no limit. l.mu is held.
func (l *Limiter) bucket(id bucketID, r Rate, now time.Time) *bucket {
	if r.PerSecond <= 0 {
		return nil
	}
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) >= maxBuckets && now.Sub(l.lastSweep) > time.Second {
			l.sweepLocked(now)
		}
		b = &bucket{tokens: float64(r.Burst), last: now}
		l.buckets[id] = b
	}
	b.rate = r
	return b
}

// Run forgets idle buckets every minute until ctx ends.
func (l *Limiter) Run(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			l.mu.Lock()
			l.sweepLocked(l.cfg.Now())
			l.mu.Unlock()
		}
	}
}

// sweepLocked deletes the buckets that are full again. l.mu is held.
func (l *Limiter) sweepLocked(now time.Time) {
	l.lastSweep = now
	for id, b := range l.buckets {
		if b.full(now) {
			delete(l.buckets, id)
		}
	}
}

// Stats returns the counts.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	return Stats{Buckets: n, Refused: map[string]int64{ScopeKey: l.refusedKey.Load(), ScopeApplication: l.refusedApp.Load()}}
}

// bucket is a token bucket: tokens refill at rate.PerSecond up to rate.Burst.
type bucket struct {
	rate   Rate
	tokens float64
	last   time.Time
}

func (b *bucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = min(float64(b.rate.Burst), b.tokens+now.Sub(b.last).Seconds()*b.rate.PerSecond)
		b.last = now
	}
}

// wait is how long until a token is there; 0 if one is. A nil bucket never waits.
func (b *bucket) wait(now time.Time) time.Duration {
	if b == nil {
		return 0
	}
	b.refill(now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / b.rate.PerSecond * float64(time.Second))
}

func (b *bucket) take() {
	if b != nil {
		b.tokens--
	}
}

func (b *bucket) full(now time.Time) bool {
	b.refill(now)
	return b.tokens >= float64(b.rate.Burst)
}
