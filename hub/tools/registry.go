package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/integrity"
	"github.com/mcp-gateway/mcp-gateway/hub/risk"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// ErrUnknownTool is returned for a tool the current routing table does not hold.
var ErrUnknownTool = errors.New("unknown tool")

// Event is an integrity change the registry made on its own: a tool pinned at first sight,
// quarantined by the scanner, or quarantined again because its pinned definition changed.
// The hub audits them.
type Event struct {
	Kind    string // "pinned", "quarantined", "changed"
	Tool    Info
	Reason  string
	OldHash string
	NewHash string
}

// Options configure a Registry.
type Options struct {
	Logger *slog.Logger
	// Scanner scans definitions; nil uses the defaults.
	Scanner *integrity.Scanner
	// NoAutoPin turns off trust on first use: clean tools are then not pinned until an
	// operator approves them, and a change to an unpinned tool goes unnoticed.
	NoAutoPin bool
	// OnEvent receives integrity events (called without locks held, from the goroutine that
	// built the index).
	OnEvent func(Event)
	// Tables gives the current routing table, for the operator methods.
	Tables interface{ Table() *router.Table }
	// RefreshEvery reloads states from the store (other hubs' writes). Default 30 s.
	RefreshEvery time.Duration
}

// Registry caches tool states and builds an Index per routing table.
type Registry struct {
	st   store.Tools
	opts Options
	log  *slog.Logger

	states   atomic.Pointer[stateSnap]
	idx      atomic.Pointer[Index]
	buildMu  sync.Mutex // one build at a time; also serialises state transitions
	scans    sync.Map   // fingerprint → analysis: a definition is classified and scanned once
	scanned  atomic.Int64
	analyzed atomic.Int64 // definitions classified and scanned, for tests

	pendMu  sync.Mutex
	pending map[key]store.ToolState // automatic transitions not yet written
	wake    chan struct{}

	// loading is closed when the first load started by LoadInBackground is done; nil when
	// none was started. Index and the writes wait for it: before it, a known tool would
	// look new (and be pinned again).
	loading chan struct{}
}

type key struct{ agent, backend, tool string }

func keyOf(t router.Target) key { return key{t.Agent, t.Backend, t.Name} }

// stateSnap is an immutable map of states with a version that changes on every write.
type stateSnap struct {
	version uint64
	m       map[key]store.ToolState
}

// New returns a registry over st (nil: in memory only, nothing survives a restart); call Load before serving and Run alongside.
func New(st store.Tools, opts Options) *Registry {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Scanner == nil {
		opts.Scanner = &integrity.Scanner{}
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = 30 * time.Second
	}
	r := &Registry{st: st, opts: opts, log: opts.Logger, pending: map[key]store.ToolState{}, wake: make(chan struct{}, 1)}
	r.states.Store(&stateSnap{m: map[key]store.ToolState{}})
	return r
}

// Load reads every tool state from the store. States of automatic transitions not yet
// written are kept.
func (r *Registry) Load(ctx context.Context) error {
	if r.st == nil {
		return nil
	}
	list, err := r.st.ListToolStates(ctx)
	if err != nil {
		return fmt.Errorf("load tool states: %w", err)
	}
	r.buildMu.Lock()
	defer r.buildMu.Unlock()
	m := make(map[key]store.ToolState, len(list))
	for _, s := range list {
		m[key{s.Agent, s.Backend, s.Tool}] = s
	}
	r.pendMu.Lock()
	for k, s := range r.pending {
		m[k] = s
	}
	r.pendMu.Unlock()
	old := r.states.Load()
	if !sameStates(old.m, m) {
		r.states.Store(&stateSnap{version: old.version + 1, m: m})
	}
	return nil
}

func sameStates(a, b map[key]store.ToolState) bool {
	if len(a) != len(b) {
		return false
	}
	for k, s := range a {
		o, ok := b[k]
		if !ok || o.Disabled != s.Disabled || o.RiskOverride != s.RiskOverride || o.Status != s.Status ||
			o.PinnedHash != s.PinnedHash || o.Findings != s.Findings || o.ApprovedBy != s.ApprovedBy {
			return false
		}
	}
	return true
}

// LoadInBackground starts Load and returns at once (a hub with 50,000 tool states is
// ready sooner: issue 11, cold start); Index and the writes wait until the states are in.
// A failed load is tried again every retry until ctx ends. Call it before serving,
// instead of Load.
func (r *Registry) LoadInBackground(ctx context.Context, retry time.Duration) {
	done := make(chan struct{})
	r.loading = done
	go func() {
		defer close(done)
		for {
			err := r.Load(ctx)
			if err == nil {
				return
			}
			r.log.Warn("load tool states (trying again)", "err", err, "in", retry)
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
		}
	}()
}

// loaded waits for the load LoadInBackground started, if any.
func (r *Registry) loaded() {
	if r.loading != nil {
		<-r.loading
	}
}

// Index returns the governance view of t, building it when t or the states changed.
func (r *Registry) Index(t *router.Table) *Index {
	r.loaded()
	snap := r.states.Load()
	if x := r.idx.Load(); x != nil && x.table == t && x.version == snap.version {
		return x
	}
	r.buildMu.Lock()
	snap = r.states.Load()
	if x := r.idx.Load(); x != nil && x.table == t && x.version == snap.version {
		r.buildMu.Unlock()
		return x
	}
	x, events := r.build(t, snap)
	r.idx.Store(x)
	r.buildMu.Unlock()
	for _, ev := range events {
		r.report(ev)
	}
	return x
}

func (r *Registry) report(ev Event) {
	level := slog.LevelWarn
	if ev.Kind == "pinned" {
		level = slog.LevelInfo
	}
	r.log.Log(context.Background(), level, "tool integrity", "event", ev.Kind, "tool", ev.Tool.Name, "agent", ev.Tool.Agent,
		"backend", ev.Tool.Backend, "reason", ev.Reason)
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(ev)
	}
}

// build computes the index of t. Automatic transitions are published as a new state
// snapshot (under buildMu) and queued for writing.
func (r *Registry) build(t *router.Table, snap *stateSnap) (*Index, []Event) {
	raws := t.Tools()
	x := &Index{table: t, listed: make([]Info, len(raws)), byTgt: make(map[router.Target]int, len(raws))}
	var events []Event
	var changed map[key]store.ToolState
	// The cache holds at least two tables' worth: bounded at maxCachedAnalyses it was cleared
	// in every build of a larger table, which then classified every tool again (10,000
	// agents of 5 tools: 50,000 classifications per routing change).
	limit := max(maxCachedAnalyses, 2*int64(len(raws)))
	for i, raw := range raws {
		info := &x.listed[i]
		r.describe(t, raw, info, limit)
		k := keyOf(info.Target)
		st, had := snap.m[k]
		next, ev := r.transition(st, had, info)
		if ev != nil {
			events = append(events, *ev)
		}
		if next != st {
			if changed == nil {
				changed = map[key]store.ToolState{}
			}
			changed[k] = next
		}
		apply(next, info)
		x.byTgt[info.Target] = i
	}
	x.version = snap.version
	if changed != nil {
		m := make(map[key]store.ToolState, len(snap.m)+len(changed))
		for k, s := range snap.m {
			m[k] = s
		}
		r.pendMu.Lock()
		for k, s := range changed {
			r.pending[k] = s
			s.Definition = "" // written with the state, not kept in memory
			m[k] = s
		}
		r.pendMu.Unlock()
		x.version = snap.version + 1
		r.states.Store(&stateSnap{version: x.version, m: m})
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return x, events
}

// describe fills in what the definition itself says: names, risk, fingerprint, findings.
// Classification and the scan depend only on the definition, so they are computed once per
// fingerprint: a reconnecting agent or a list_changed of another tool costs a hash each.
func (r *Registry) describe(t *router.Table, raw json.RawMessage, info *Info, limit int64) {
	name, _ := mcp.StringField(raw, "name")
	tgt, _ := t.Tool(name)
	desc, _ := mcp.StringField(raw, "description")
	*info = Info{Name: name, Alias: t.ToolAlias(name), Target: tgt, Agent: tgt.Agent, Backend: tgt.Backend,
		Tool: tgt.Name, Description: desc, Fingerprint: integrity.Fingerprint(raw), Raw: raw}
	var a analysis
	if v, ok := r.scans.Load(info.Fingerprint); ok {
		a = v.(analysis)
	} else {
		cat, why := risk.Classify(raw)
		a = analysis{risk: string(cat), reason: why.String(), findings: r.opts.Scanner.Scan(raw)}
		r.analyzed.Add(1)
		if r.scanned.Add(1) > limit {
			// A backend that churns definitions must not grow the cache without bound.
			r.scans.Clear()
			r.scanned.Store(1)
		}
		r.scans.Store(info.Fingerprint, a)
	}
	info.Risk, info.RiskReason, info.Findings = a.risk, a.reason, a.findings
}

// maxCachedAnalyses bounds the per-fingerprint cache (a few hundred bytes each), or twice
// the tools of the table being indexed when that is more.
const maxCachedAnalyses = 10000

// analysis is what a definition says about itself, cached by fingerprint.
type analysis struct {
	risk, reason string
	findings     []integrity.Finding
}

// apply overlays the stored state on the described tool.
func apply(st store.ToolState, info *Info) {
	info.Disabled = st.Disabled
	info.Status = st.Status
	info.PinnedHash = st.PinnedHash
	if st.RiskOverride != "" {
		info.RiskReason = "operator override (classified " + info.Risk + " by " + info.RiskReason + ")"
		info.Risk, info.RiskOverride = st.RiskOverride, st.RiskOverride
	}
	if st.Status == store.ToolQuarantined {
		info.Quarantined = true
		info.QuarantineReason = quarantineReason(st.Findings)
	}
}
