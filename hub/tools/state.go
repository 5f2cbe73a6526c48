package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/integrity"
	"github.com/mcp-gateway/mcp-gateway/hub/risk"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// quarantine is what ToolState.Findings holds for a quarantined tool.
type quarantine struct {
	Reason      string              `json:"reason"`
	PinnedHash  string              `json:"pinned_hash,omitempty"`
	CurrentHash string              `json:"current_hash,omitempty"`
	Findings    []integrity.Finding `json:"findings,omitempty"`
}

func quarantineReason(findings string) string {
	var q quarantine
	if json.Unmarshal([]byte(findings), &q) != nil || q.Reason == "" {
		return "quarantined"
	}
	return q.Reason
}

func encodeQuarantine(q quarantine) string {
	b, _ := json.Marshal(q)
	return string(b)
}

// transition decides the automatic integrity change for one tool, if any: a pinned or
// approved tool whose definition changed is quarantined again (rug pull); a new tool with
// scanner findings is quarantined; a new clean tool is pinned (trust on first use).
func (r *Registry) transition(st store.ToolState, had bool, info *Info) (store.ToolState, *Event) {
	if !had {
		st = store.ToolState{Agent: info.Agent, Backend: info.Backend, Tool: info.Tool}
	}
	switch st.Status {
	case store.ToolQuarantined:
		return st, nil
	case store.ToolPinned, store.ToolApproved:
		if st.PinnedHash == info.Fingerprint {
			return st, nil
		}
		old := st.PinnedHash
		why := "its definition changed since it was " + st.Status + "; an operator must approve the new definition"
		st.Status = store.ToolQuarantined
		st.Findings = encodeQuarantine(quarantine{Reason: why, PinnedHash: old, CurrentHash: info.Fingerprint, Findings: info.Findings})
		return st, &Event{Kind: "changed", Tool: *info, Reason: why, OldHash: old, NewHash: info.Fingerprint}
	}
	if len(info.Findings) > 0 {
		why := fmt.Sprintf("its definition looks poisoned (%d findings, first: %s); an operator must approve it", len(info.Findings), info.Findings[0])
		st.Status = store.ToolQuarantined
		st.Findings = encodeQuarantine(quarantine{Reason: why, CurrentHash: info.Fingerprint, Findings: info.Findings})
		return st, &Event{Kind: "quarantined", Tool: *info, Reason: why, NewHash: info.Fingerprint}
	}
	if r.opts.NoAutoPin {
		return st, nil
	}
	st.Status, st.PinnedHash, st.Definition = store.ToolPinned, info.Fingerprint, string(info.Raw)
	return st, &Event{Kind: "pinned", Tool: *info, Reason: "pinned at first sight", NewHash: info.Fingerprint}
}

// List returns the tools of the current routing table with their state.
func (r *Registry) List() []Info {
	if r.opts.Tables == nil {
		return nil
	}
	return r.Index(r.opts.Tables.Table()).Listed()
}

// Get returns one tool of the current routing table by exposed name or alias.
func (r *Registry) Get(name string) (Info, bool) {
	if r.opts.Tables == nil {
		return Info{}, false
	}
	i, ok := r.Index(r.opts.Tables.Table()).Get(name)
	if !ok {
		return Info{}, false
	}
	return *i, true
}

// SetDisabled disables or re-enables a tool under every name it has.
func (r *Registry) SetDisabled(ctx context.Context, name string, disabled bool) (Info, error) {
	return r.update(ctx, name, func(st *store.ToolState, _ *Info) error {
		st.Disabled = disabled
		return nil
	})
}

// SetRisk overrides a tool's risk category; "" returns it to the classified one.
func (r *Registry) SetRisk(ctx context.Context, name, category string) (Info, error) {
	if category != "" {
		if _, err := risk.ParseCategory(category); err != nil {
			return Info{}, err
		}
	}
	return r.update(ctx, name, func(st *store.ToolState, _ *Info) error {
		st.RiskOverride = category
		return nil
	})
}

// ErrDefinitionChanged: the tool's definition is not the one an approval was given for.
var ErrDefinitionChanged = errors.New("the tool's definition changed since it was reviewed")

// Approve pins a tool's current definition and lifts its quarantine.
func (r *Registry) Approve(ctx context.Context, name, actor string) (Info, error) {
	return r.ApproveFingerprint(ctx, name, actor, "")
}

// ApproveFingerprint is Approve of the definition with this fingerprint only (the one the
// operator reviewed): when the current definition has another, nothing changes and the
// error wraps ErrDefinitionChanged, so a definition swapped between review and approval is
// never pinned. An empty fingerprint approves whatever is current.
func (r *Registry) ApproveFingerprint(ctx context.Context, name, actor, fingerprint string) (Info, error) {
	return r.update(ctx, name, func(st *store.ToolState, cur *Info) error {
		if fingerprint != "" && cur.Fingerprint != fingerprint {
			return fmt.Errorf("%w: approved %s, current %s", ErrDefinitionChanged, fingerprint, cur.Fingerprint)
		}
		at := time.Now().UTC()
		st.Status, st.PinnedHash, st.Findings, st.Definition = store.ToolApproved, cur.Fingerprint, "", string(cur.Raw)
		st.ApprovedBy, st.ApprovedAt = actor, &at
		return nil
	})
}

// update applies an operator change to the named tool's state, writes it, and publishes it.
func (r *Registry) update(ctx context.Context, name string, change func(*store.ToolState, *Info) error) (Info, error) {
	if r.opts.Tables == nil {
		return Info{}, fmt.Errorf("%w %q", ErrUnknownTool, name)
	}
	x := r.Index(r.opts.Tables.Table())
	cur, ok := x.Get(name)
	if !ok {
		return Info{}, fmt.Errorf("%w %q", ErrUnknownTool, name)
	}
	if err := r.write(ctx, cur, change); err != nil {
		return Info{}, err
	}
	i, ok := r.Index(x.table).Get(name)
	if !ok {
		return Info{}, fmt.Errorf("%w %q", ErrUnknownTool, name)
	}
	return *i, nil
}

// write applies change to cur's stored state, writes it and publishes a new snapshot.
func (r *Registry) write(ctx context.Context, cur *Info, change func(*store.ToolState, *Info) error) error {
	r.loaded()
	r.buildMu.Lock()
	defer r.buildMu.Unlock()
	snap := r.states.Load()
	k := keyOf(cur.Target)
	st, had := snap.m[k]
	if !had {
		st = store.ToolState{Agent: cur.Agent, Backend: cur.Backend, Tool: cur.Tool}
	}
	if err := change(&st, cur); err != nil {
		return err
	}
	if r.st != nil {
		if err := r.st.PutToolState(ctx, &st); err != nil {
			return err
		}
	}
	m := make(map[key]store.ToolState, len(snap.m)+1)
	for kk, s := range snap.m {
		m[kk] = s
	}
	st.Definition = "" // kept in the store for review, not in memory
	m[k] = st
	r.pendMu.Lock()
	delete(r.pending, k) // the explicit write supersedes an automatic one
	r.pendMu.Unlock()
	r.states.Store(&stateSnap{version: snap.version + 1, m: m})
	return nil
}

// Run writes automatic transitions and reloads states until ctx ends, then writes what is left.
func (r *Registry) Run(ctx context.Context) error {
	reload := time.NewTicker(r.opts.RefreshEvery)
	defer reload.Stop()
	for {
		select {
		case <-ctx.Done():
			flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			r.flush(flush)
			cancel()
			return nil
		case <-r.wake:
			r.flush(ctx)
		case <-reload.C:
			r.flush(ctx)
			if err := r.Load(ctx); err != nil {
				r.log.Warn("reload tool states", "err", err)
			}
		}
	}
}

// Flush writes pending automatic transitions now.
func (r *Registry) Flush(ctx context.Context) { r.flush(ctx) }

func (r *Registry) flush(ctx context.Context) {
	// Under buildMu, so that an operator's write (also under it) is never overtaken by an
	// older automatic one.
	r.buildMu.Lock()
	defer r.buildMu.Unlock()
	if r.st == nil {
		return
	}
	r.pendMu.Lock()
	batch := r.pending
	r.pending = map[key]store.ToolState{}
	r.pendMu.Unlock()
	for k, st := range batch {
		if err := r.st.PutToolState(ctx, &st); err != nil {
			r.log.Error("write tool state", "agent", k.agent, "backend", k.backend, "tool", k.tool, "err", err)
			r.pendMu.Lock()
			if _, newer := r.pending[k]; !newer {
				r.pending[k] = st
			}
			r.pendMu.Unlock()
		}
	}
}

// Definitions is what an operator reviews before approving a tool: its current definition
// and, when it was pinned or approved before under another fingerprint (a changed
// definition, now quarantined), the definition it had then. Pinned is nil when there was
// none, or when it was pinned before the hub kept definitions.
type Definitions struct {
	Current json.RawMessage `json:"definition"`
	Pinned  json.RawMessage `json:"pinned_definition,omitempty"`
	// PinnedHash is the fingerprint Pinned has (the one the tool was pinned or approved with).
	PinnedHash string `json:"pinned_definition_hash,omitempty"`
}

// Definitions returns the current and the previously pinned definitions of a tool.
func (r *Registry) Definitions(ctx context.Context, name string) (Definitions, error) {
	cur, ok := r.Get(name)
	if !ok {
		return Definitions{}, fmt.Errorf("%w %q", ErrUnknownTool, name)
	}
	d := Definitions{Current: cur.Raw}
	hash := cur.PinnedHash
	if cur.Status == store.ToolQuarantined {
		st, _ := r.states.Load().m[keyOf(cur.Target)]
		var q quarantine
		if json.Unmarshal([]byte(st.Findings), &q) == nil && q.PinnedHash != "" {
			hash = q.PinnedHash
		}
	}
	if hash == "" || hash == cur.Fingerprint || r.st == nil {
		return d, nil
	}
	def, err := r.st.ToolDefinition(ctx, cur.Agent, cur.Backend, cur.Tool, hash)
	if errors.Is(err, store.ErrNotFound) {
		return d, nil
	}
	if err != nil {
		return Definitions{}, err
	}
	d.Pinned, d.PinnedHash = json.RawMessage(def), hash
	return d, nil
}
