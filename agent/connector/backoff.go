package connector

import (
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with full jitter: the wait before retry n (counting from 0)
// is uniform in [0, min(Max, Base·2ⁿ)]. A connection that stayed up for ResetAfter starts
// the count again.
type Backoff struct {
	Base       time.Duration // default 1 s
	Max        time.Duration // default 30 s
	ResetAfter time.Duration // default 60 s

	// Rand returns a uniform value in [0, n); nil uses math/rand/v2.
	Rand func(n int64) int64
}

// Defaults used for zero fields of Backoff.
const (
	DefaultBackoffBase       = time.Second
	DefaultBackoffMax        = 30 * time.Second
	DefaultBackoffResetAfter = 60 * time.Second
)

func (b Backoff) withDefaults() Backoff {
	if b.Base <= 0 {
		b.Base = DefaultBackoffBase
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	if b.ResetAfter <= 0 {
		b.ResetAfter = DefaultBackoffResetAfter
	}
	if b.Rand == nil {
		b.Rand = rand.Int64N
	}
	return b
}

// Ceiling is the upper bound of the wait before retry n: min(Max, Base·2ⁿ).
func (b Backoff) Ceiling(n int) time.Duration {
	b = b.withDefaults()
	d := b.Base
	for i := 0; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Delay is the wait before retry n, drawn uniformly from [0, Ceiling(n)].
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	return time.Duration(b.Rand(int64(b.Ceiling(n)) + 1))
}

// After returns the wait that follows a connection which stayed up for up (zero when it
// never came up) after n earlier retries, and the retry count for the time after that.
func (b Backoff) After(n int, up time.Duration) (wait time.Duration, next int) {
	if up >= b.withDefaults().ResetAfter {
		n = 0
	}
	return b.Delay(n), n + 1
}
