package integrity

import (
	"encoding/json"
	"maps"
	"sync"
)

// State is what Pins.Check found.
type State string

// States.
const (
	New       State = "new"       // no approved fingerprint for this identity yet
	Unchanged State = "unchanged" // the definition is the approved one
	Changed   State = "changed"   // the definition differs from the approved one: a rug pull
)

// Status is the outcome of Pins.Check. Previous is empty for a new tool.
type Status struct {
	State    State  `json:"state"`
	Previous string `json:"previous,omitempty"` // the approved fingerprint
	Current  string `json:"current"`            // the fingerprint of the definition checked
}

// Pins are approved fingerprints keyed by a stable tool identity, by convention
// "agent/backend/tool". The zero value is empty and ready; it is safe for concurrent use.
// Pins only compares; deciding to quarantine, and storing the pins, is the caller's job.
type Pins struct {
	mu sync.RWMutex
	m  map[string]string
}

// NewPins returns pins loaded from a snapshot such as All returned.
func NewPins(approved map[string]string) *Pins {
	return &Pins{m: maps.Clone(approved)}
}

// Check compares tool with the approved fingerprint for identity.
func (p *Pins) Check(identity string, tool json.RawMessage) Status {
	cur := Fingerprint(tool)
	p.mu.RLock()
	prev, ok := p.m[identity]
	p.mu.RUnlock()
	switch {
	case !ok:
		return Status{State: New, Current: cur}
	case prev == cur:
		return Status{State: Unchanged, Previous: prev, Current: cur}
	default:
		return Status{State: Changed, Previous: prev, Current: cur}
	}
}

// Approve pins fingerprint as the approved definition of identity. Pass the Current of a
// Status, so what is approved is exactly what the operator reviewed even if the backend has
// changed the tool again since.
func (p *Pins) Approve(identity, fingerprint string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[identity] = fingerprint
}

// Forget drops the pin of identity, so its next definition is new again.
func (p *Pins) Forget(identity string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, identity)
}

// All returns a copy of the approved fingerprints, for storing.
func (p *Pins) All() map[string]string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return maps.Clone(p.m)
}
