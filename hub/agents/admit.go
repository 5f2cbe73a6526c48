package agents

import (
	"math"
	"runtime/debug"
	"sync"
	"time"
)

// maxRetryAfter caps the wait a refused agent is told: past it, the agent comes back and is
// told again, rather than trusting a schedule made long ago.
const maxRetryAfter = 2 * time.Minute

// admission bounds the agent handshakes in progress (upgrade, hello, registration, welcome)
// and the rate at which they start, so that a reconnect storm after a hub restart is taken
// in at the pace the hub can serve instead of all at once. A refused agent is told when to
// come back: each refusal books the next free start slot (one every 1/rate), so the waits
// given grow with the crowd and spread it over the time the hub needs.
type admission struct {
	rate    float64 // handshakes started per second; 0 = no rate limit
	burst   float64 // starts allowed at once above the rate
	maxConc int     // handshakes in progress; 0 = no cap

	// settle runs once a burst of handshakes has drained (releaseAfter handshakes or more,
	// none in progress for settleDelay, at most every settleEvery): the hub gives the memory
	// the burst used back to the system (debug.FreeOSMemory), instead of keeping it for the
	// next burst, which would make every idle agent look about twice its size.
	settle   func()
	finished int       // handshakes ended since the last settle
	settled  time.Time // when settle last ran
	pending  bool      // a settle is scheduled

	mu       sync.Mutex
	tokens   float64
	last     time.Time // when tokens was last topped up
	booked   time.Time // the last slot booked for a refused agent
	inflight int
}

// Settling after a burst of handshakes (see admission.settle).
const (
	releaseAfter = 64
	settleDelay  = time.Second
	settleEvery  = 30 * time.Second
)

func newAdmission(rate float64, maxConc int) *admission {
	a := &admission{rate: rate, maxConc: maxConc, burst: math.Max(1, math.Ceil(rate)), settle: debug.FreeOSMemory}
	a.tokens = a.burst
	return a
}

// ended records the end of a handshake; a.mu is held.
func (a *admission) ended() {
	a.inflight--
	a.finished++
	if a.inflight > 0 || a.finished < releaseAfter || a.pending {
		return
	}
	a.pending = true
	wait := max(settleDelay, settleEvery-time.Since(a.settled))
	time.AfterFunc(wait, a.trySettle)
}

// trySettle runs settle if no handshake started meanwhile, else waits for the next drain.
func (a *admission) trySettle() {
	a.mu.Lock()
	a.pending = false
	if a.inflight > 0 {
		a.mu.Unlock()
		return
	}
	a.finished = 0
	a.settled = time.Now()
	a.mu.Unlock()
	a.settle()
}

// admit starts a handshake if the rate and the cap allow it now, returning the function that
// ends it (call it once, when the agent is registered or has failed). Otherwise it returns
// how long the agent should wait before trying again.
func (a *admission) admit(now time.Time) (done func(), retry time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rate > 0 {
		if !a.last.IsZero() {
			a.tokens = math.Min(a.burst, a.tokens+now.Sub(a.last).Seconds()*a.rate)
		}
		a.last = now
	}
	if (a.rate <= 0 || a.tokens >= 1) && (a.maxConc <= 0 || a.inflight < a.maxConc) {
		if a.rate > 0 {
			a.tokens--
		}
		a.inflight++
		var once sync.Once
		return func() {
			once.Do(func() {
				a.mu.Lock()
				a.ended()
				a.mu.Unlock()
			})
		}, 0
	}
	// Book the next free slot after those already booked.
	slot := a.booked
	if slot.Before(now) {
		slot = now
	}
	slot = slot.Add(a.spacing())
	if limit := now.Add(maxRetryAfter); slot.After(limit) {
		slot = limit
	}
	a.booked = slot
	return nil, slot.Sub(now)
}

// spacing is the time between two booked slots: 1/rate, or with only a cap on concurrent
// handshakes, a second (about one handshake's time under load) shared by the cap's slots.
func (a *admission) spacing() time.Duration {
	if a.rate > 0 {
		return time.Duration(float64(time.Second) / a.rate)
	}
	return time.Second / time.Duration(a.maxConc)
}
