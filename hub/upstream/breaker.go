package upstream

import "time"

// Breaker states, as the REST API and metrics name them.
const (
	BreakerClosed   = "closed"
	BreakerOpen     = "open"
	BreakerHalfOpen = "half-open"
)

type breakerState int

const (
	stateClosed breakerState = iota
	stateHalfOpen
	stateOpen
)

func (s breakerState) String() string {
	switch s {
	case stateOpen:
		return BreakerOpen
	case stateHalfOpen:
		return BreakerHalfOpen
	}
	return BreakerClosed
}

// breaker is one backend's circuit breaker. It is guarded by its gate's mutex.
type breaker struct {
	threshold int           // consecutive failures that open it
	cooldown  time.Duration // open → half-open

	state       breakerState
	failures    int
	lastFailure string
	until       time.Time // when an open breaker lets a probe through
	probing     bool      // half-open: the one probe is running
	opened      uint64
}

// probeRetry is the retry hint while a half-open breaker's probe runs: it ends soon, one way
// or the other.
const probeRetry = time.Second

// admit lets a call through, as the probe of a half-open breaker if it is one, or says how
// long the caller should wait.
func (b *breaker) admit(now time.Time) (probe bool, retryAfter time.Duration, ok bool) {
	switch b.state {
	case stateClosed:
		return false, 0, true
	case stateOpen:
		if now.Before(b.until) {
			return false, b.until.Sub(now), false
		}
		b.state = stateHalfOpen
	}
	if b.probing {
		return false, probeRetry, false
	}
	b.probing = true
	return true, 0, true
}

// settle records a finished call. Any answer closes the breaker; a failed probe, or the
// threshold of consecutive failures while closed, opens it for the cooldown.
func (b *breaker) settle(probe bool, out outcome, cause string, now time.Time) {
	if probe {
		b.probing = false
	}
	switch out {
	case succeeded:
		b.state, b.failures, b.lastFailure = stateClosed, 0, ""
	case failed, timedOut:
		b.failures++
		b.lastFailure = cause
		if probe || (b.state == stateClosed && b.failures >= b.threshold) {
			b.state, b.until = stateOpen, now.Add(b.cooldown)
			b.opened++
		}
	}
}
