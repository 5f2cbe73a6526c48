// Package tools keeps what the hub knows about each tool beyond its definition: risk class
// (with operator overrides), enabled or disabled, and integrity (poisoning scan, pinned
// fingerprint, quarantine) — cached per routing table so the call path pays a map lookup.
package tools

import (
	"encoding/json"

	"github.com/mcp-gateway/mcp-gateway/hub/integrity"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
)

// Info is one exposed tool with its governance state.
type Info struct {
	Name        string        `json:"name"`            // exposed name
	Alias       string        `json:"alias,omitempty"` // the other exposed name (naming mode auto), if any
	Target      router.Target `json:"-"`
	Agent       string        `json:"agent"` // "" for the hub's own backends
	Backend     string        `json:"backend"`
	Tool        string        `json:"tool"` // the backend's own name
	Description string        `json:"description,omitempty"`

	Risk         string `json:"risk"`        // effective category (override applied)
	RiskReason   string `json:"risk_reason"` // why
	RiskOverride string `json:"risk_override,omitempty"`

	Disabled         bool                `json:"disabled"`
	Quarantined      bool                `json:"quarantined"`
	QuarantineReason string              `json:"quarantine_reason,omitempty"`
	Findings         []integrity.Finding `json:"findings,omitempty"`
	Status           string              `json:"status"` // "", pinned, approved, quarantined
	Fingerprint      string              `json:"fingerprint"`
	PinnedHash       string              `json:"pinned_hash,omitempty"`

	Raw json.RawMessage `json:"-"`
}

// Callable reports whether the tool may be called at all (before RBAC and policy).
func (i *Info) Callable() bool { return !i.Disabled && !i.Quarantined }

// Index is the governance view of one routing table. It is immutable once built.
type Index struct {
	table   *router.Table
	version uint64 // of the state snapshot it was built from
	listed  []Info // parallel to table.Tools()
	byTgt   map[router.Target]int
}

// Listed returns the tools in the table's order (parallel to Table.Tools()).
func (x *Index) Listed() []Info { return x.listed }

// Lookup returns the tool a target names.
func (x *Index) Lookup(t router.Target) (*Info, bool) {
	i, ok := x.byTgt[t]
	if !ok {
		return nil, false
	}
	return &x.listed[i], true
}

// Get returns the tool with an exposed name or alias.
func (x *Index) Get(name string) (*Info, bool) {
	t, ok := x.table.Tool(name)
	if !ok {
		return nil, false
	}
	return x.Lookup(t)
}

// Table is the routing table the index describes.
func (x *Index) Table() *router.Table { return x.table }
