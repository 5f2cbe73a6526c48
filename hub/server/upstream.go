package server

import (
	"github.com/mcp-gateway/mcp-gateway/hub/upstream"
)

// newUpstream builds the bounded path to the backends from the [calls] settings.
func (s *Server) newUpstream() *upstream.Upstream {
	c := s.cfg.Calls
	s.Upstream = upstream.New(upstream.Config{
		Defaults:        upstream.Limits{Timeout: c.Timeout.Duration, MaxConcurrent: c.MaxConcurrent, MaxQueue: c.MaxQueue},
		BreakerFailures: c.BreakerFailures, BreakerCooldown: c.BreakerCooldown.Duration,
	}, s.Locals, s.Agents, s.log.With("component", "upstream"))
	return s.Upstream
}
