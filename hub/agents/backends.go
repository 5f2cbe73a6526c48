package agents

import "github.com/mcp-gateway/mcp-gateway/shared/protocol"

// Backend returns a connected agent's backend as the agent last reported it, so the hub can
// apply what the agent publishes about it (its call limits).
func (r *Registry) Backend(agentID, name string) (protocol.Backend, bool) {
	s := r.current(agentID)
	if s == nil {
		return protocol.Backend{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.backends[name]
	return b, ok
}
