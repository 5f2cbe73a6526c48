package agents

// CallStreamsOpened is how many call streams the hub opened to the agent's current
// session, and how many lanes are idle; -1, -1 when it is not connected.
func CallStreamsOpened(r *Registry, id string) (opened int64, idle int) {
	s := r.current(id)
	if s == nil {
		return -1, -1
	}
	return s.opened.Load(), s.lanes.count()
}

// HandshakesInProgress is how many agent handshakes the registry has admitted and not ended.
func HandshakesInProgress(r *Registry) int {
	r.admit.mu.Lock()
	defer r.admit.mu.Unlock()
	return r.admit.inflight
}

// CallStreamsDirect reports whether the hub opens the agent's call streams as direct
// streams (capability 4) rather than yamux streams.
func CallStreamsDirect(r *Registry, id string) bool {
	s := r.current(id)
	return s != nil && s.direct != nil
}
