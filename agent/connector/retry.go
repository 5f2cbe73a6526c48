package connector

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// logFailure logs why a connection ended, once, and returns the wait before the next try
// (the backoff's, or longer when hammering the hub cannot help) and, when the hub turned the
// agent away for a reason that needs a fix, that reason.
func (a *Agent) logFailure(err error, up, wait time.Duration) (time.Duration, string) {
	log := a.log.With("err", err)
	if up > 0 {
		log = log.With("connected_for", up.Round(time.Second))
	}
	var refused *refusedError
	var hs *tunnel.HandshakeError
	refusal := ""
	switch {
	case errors.Is(err, errReconnectAsked):
		wait = 0
		log.Info("reconnecting now, as asked")
	case errors.As(err, &refused) && refused.Code == protocol.RefuseHubClosing:
		log.Info("the hub is shutting down; reconnecting", "retry_in", wait.Round(time.Millisecond))
	case errors.As(err, &refused) && refused.Code == protocol.RefuseReplaced:
		// Another process uses this agent id. Taking it back at once would make the two fight.
		wait = max(wait, a.opts.Backoff.Max)
		refusal = "another agent with the same id took over: " + refused.Message
		log.Warn("another agent connected with the same agent id and took over; is this agent running twice?",
			"hub_message", refused.Message, "retry_in", wait.Round(time.Millisecond))
	case errors.As(err, &refused):
		wait = a.opts.RefusedRetry
		refusal = refused.Code + ": " + refused.Message
		log.Error("the hub refused this agent; fix the configuration or the hub, then restart the agent",
			"code", refused.Code, "hub_message", refused.Message, "retry_in", wait)
	case errors.As(err, &hs) && hs.RetryAfter > 0 && (hs.StatusCode == http.StatusServiceUnavailable || hs.StatusCode == http.StatusTooManyRequests):
		// A busy hub (a reconnect storm) said when to come back: it booked a start slot for
		// this agent, spaced from the others' already. The jitter only spreads the agents it
		// gave the same whole second over that second.
		wait = hs.RetryAfter + retryJitter(hs.RetryAfter, a.opts.Backoff.withDefaults().Rand)
		log.Info("the hub is busy; retrying when it asked", "status", hs.StatusCode, "hub_message", hs.Body,
			"retry_in", wait.Round(time.Millisecond))
	case errors.As(err, &hs) && needsFix(hs.StatusCode):
		wait = a.opts.RefusedRetry
		refusal = fmt.Sprintf("HTTP %d: %s", hs.StatusCode, hs.Body)
		log.Error("the hub rejected the connection; check api_key and gateway_url",
			"status", hs.StatusCode, "hub_message", hs.Body, "retry_in", wait)
	case up > 0:
		log.Warn("connection to the hub lost; reconnecting", "retry_in", wait.Round(time.Millisecond))
	default:
		log.Warn("cannot connect to the hub; retrying", "url", a.cfg.GatewayURL, "retry_in", wait.Round(time.Millisecond))
	}
	return wait, refusal
}

// retryJitter is the random wait added to a hub's Retry-After: uniform in [0, 1 s), the
// rounding of Retry-After to whole seconds. It used to be up to a quarter of the wait as
// well, which made the agents of a 10,000-agent storm (told up to 50 s) come up to 12 s
// after their booked slots: the hub stood idle meanwhile, and agents that came late found
// the slots taken and were booked again at the end of the queue.
func retryJitter(_ time.Duration, rnd func(int64) int64) time.Duration {
	return time.Duration(rnd(int64(time.Second)))
}

// needsFix reports HTTP answers that repeating the same request will not change.
func needsFix(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}
