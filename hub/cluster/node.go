// Package cluster lets several hubs on one PostgreSQL database serve every agent's tools:
// a presence table with leases says which hub holds each agent's tunnel (newest wins), each
// hub routes the agents the others hold, and a call for one of them is forwarded to its
// holder over an authenticated HTTP/2 channel carrying the tunnel's call stream.
// docs/SCALING.md explains the design and its failure modes.
package cluster

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Defaults of the lease timing: a hub renews its leases every Renew; a hub that stops
// renewing loses them after Lease; every hub rereads the presence table every Poll (or at
// once when Invalidate is called).
const (
	DefaultLease = 6 * time.Second
	DefaultRenew = 2 * time.Second
	DefaultPoll  = time.Second
)

// Options configure a Node.
type Options struct {
	HubID  string // this hub's id in the presence table
	URL    string // where the other hubs reach this one
	Key    []byte // the cluster key: authenticates hub-to-hub calls
	Store  store.Presences
	Agents *agents.Registry
	Router *router.Router
	// OnAgent is told when an agent becomes reachable (present) or not through this hub,
	// locally or remotely (the gateway's AgentBack and AgentGone).
	OnAgent func(agentID string, present bool)
	// OnCall, when set, is told that a forwarded call for agentID starts here; it returns
	// the function to call when it ends (the hub's drain counts these calls too).
	OnCall func(agentID string) (done func())
	Logger *slog.Logger
	// Lease, Renew and Poll: zero takes the defaults.
	Lease, Renew, Poll time.Duration
	// RootCAs verify the other hubs' certificates (https urls); nil: the system's.
	RootCAs *x509.CertPool
	// Client sends forwarded calls; nil: an HTTP/2 client (h2c for http:// URLs).
	Client *http.Client
}

// Node is this hub's part in the cluster.
type Node struct {
	opts   Options
	log    *slog.Logger
	client *http.Client
	wake   chan struct{} // local presence changed
	poke   chan struct{} // reread the presence table now

	mu     sync.Mutex
	local  map[string]*held
	remote map[string]*remoteAgent
}

// held is an agent whose tunnel this hub holds.
type held struct {
	gen      int    // grows with each new session of the agent here
	instance string // its hello.instance
	epoch    int64  // of our claim; 0 while the claim is pending
	claimed  int    // gen of the claim that epoch belongs to
	backends []protocol.Backend
	dirty    bool // backends not written yet
	gone     bool // the session ended: release the row
}

// remoteAgent is an agent another live hub holds.
type remoteAgent struct {
	hubID, url string
	rev        int64
	backends   []protocol.Backend
}

// New returns a node; Run it.
func New(opts Options) *Node {
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.Renew <= 0 {
		opts.Renew = DefaultRenew
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.OnAgent == nil {
		opts.OnAgent = func(string, bool) {}
	}
	n := &Node{opts: opts, log: opts.Logger.With("component", "cluster", "hub", opts.HubID),
		wake: make(chan struct{}, 1), poke: make(chan struct{}, 1),
		local: map[string]*held{}, remote: map[string]*remoteAgent{}}
	n.client = opts.Client
	if n.client == nil {
		n.client = newClient(opts.RootCAs)
	}
	return n
}

// Invalidate makes the node reread the presence table now instead of at its next poll:
// the hook for a LISTEN/NOTIFY listener on presence changes.
func (n *Node) Invalidate() {
	select {
	case n.poke <- struct{}{}:
	default:
	}
}

func (n *Node) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Session is agents.Options.OnSession: a new tunnel of the agent registered here.
func (n *Node) Session(agentID, instance string) {
	n.mu.Lock()
	h := n.local[agentID]
	if h == nil {
		h = &held{}
		n.local[agentID] = h
	}
	h.gen++
	h.instance, h.gone, h.dirty = instance, false, true
	n.mu.Unlock()
	n.signal()
}

// Changed is agents.Options.OnChange: it routes the local agent (or, once it is gone here,
// what another hub holds of it) and records its presence.
func (n *Node) Changed(agentID string, backends []protocol.Backend, connected bool) {
	n.mu.Lock()
	defer n.signal()
	defer n.mu.Unlock()
	h := n.local[agentID]
	if connected {
		if h == nil { // an update without a session seen: cannot happen, but be safe
			h = &held{gen: 1}
			n.local[agentID] = h
		}
		h.backends, h.dirty = backends, true
		n.opts.Router.Set(agentID, backends)
		n.opts.OnAgent(agentID, true)
		return
	}
	if h != nil {
		h.gone = true
	}
	if ra := n.remote[agentID]; ra != nil {
		n.opts.Router.Set(agentID, ra.backends)
		return
	}
	n.opts.Router.Remove(agentID)
	n.opts.OnAgent(agentID, false)
}

// isLocal reports whether this hub holds a session of the agent. n.mu is held.
func (n *Node) isLocal(id string) bool {
	h := n.local[id]
	return h != nil && !h.gone
}

// Backend is the backend of an agent another hub holds, as published there.
func (n *Node) Backend(agentID, name string) (protocol.Backend, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ra := n.remote[agentID]; ra != nil {
		for _, b := range ra.backends {
			if b.Name == name {
				return b, true
			}
		}
	}
	return protocol.Backend{}, false
}

// holder is the URL and id of the hub that holds agentID, if another one does.
func (n *Node) holder(agentID string) (url, hubID string, ok bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ra := n.remote[agentID]; ra != nil {
		return ra.url, ra.hubID, true
	}
	return "", "", false
}

// Run keeps the presence table and the routing of remote agents up to date until ctx
// ends, then releases this hub's rows.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { n.pollLoop(ctx) })
	renew := time.NewTicker(n.opts.Renew)
	defer renew.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := n.opts.Store.ReleaseHub(rctx, n.opts.HubID); err != nil {
				n.log.Warn("could not release this hub's agents; their leases run out instead", "err", err)
			}
			return nil
		case <-n.wake:
			n.sync(ctx)
		case <-renew.C:
			n.sync(ctx)
			n.renew(ctx)
		}
	}
}

// sync claims new sessions, writes changed backends and releases ended sessions.
func (n *Node) sync(ctx context.Context) {
	type job struct {
		id       string
		h        held
		backends string
	}
	n.mu.Lock()
	var jobs []job
	for id, h := range n.local {
		if !h.dirty && !h.gone && h.claimed == h.gen {
			continue
		}
		b, _ := json.Marshal(h.backends)
		jobs = append(jobs, job{id, *h, string(b)})
		h.dirty = false
		if h.gone {
			delete(n.local, id)
		}
	}
	n.mu.Unlock()
	for _, j := range jobs {
		switch {
		case j.h.gone:
			if j.h.epoch > 0 {
				if err := n.opts.Store.ReleaseAgent(ctx, j.id, n.opts.HubID, j.h.epoch); err != nil && ctx.Err() == nil {
					n.log.Warn("could not release an agent's presence; its lease runs out instead", "agent", j.id, "err", err)
				}
			}
		case j.h.claimed != j.h.gen:
			n.claim(ctx, j.id, j.h, j.backends)
		default:
			if _, err := n.opts.Store.SetAgentBackends(ctx, j.id, n.opts.HubID, j.h.epoch, j.backends); err != nil {
				n.log.Warn("could not publish an agent's backends to the cluster", "agent", j.id, "err", err)
				n.redo(j.id)
			}
		}
	}
}

func (n *Node) redo(id string) {
	n.mu.Lock()
	if h := n.local[id]; h != nil {
		h.dirty = true
	}
	n.mu.Unlock()
}

func (n *Node) claim(ctx context.Context, id string, h held, backends string) {
	c, err := n.opts.Store.ClaimAgent(ctx, store.Presence{AgentID: id, HubID: n.opts.HubID, HubURL: n.opts.URL,
		Instance: h.instance, Backends: backends}, n.opts.Lease, agents.FightMemory)
	if err != nil {
		n.log.Warn("could not claim an agent's presence; retrying", "agent", id, "err", err)
		n.redo(id)
		return
	}
	n.mu.Lock()
	if cur := n.local[id]; cur != nil && cur.gen == h.gen {
		cur.epoch, cur.claimed = c.Epoch, h.gen
	}
	n.mu.Unlock()
	prev := c.Prev
	if prev != nil && prev.Live && prev.HubID != n.opts.HubID {
		n.log.Info("agent moved to this hub from another", "agent", id, "from_hub", prev.HubID)
		if prev.Instance != h.instance {
			n.opts.Agents.NoteReplaced(id, prev.Instance, h.instance, prev.HubID)
		}
	}
	if c.Fought {
		// Found from the presence row's history: whichever hubs the two took turns on.
		where := n.opts.HubID
		if prev != nil {
			where = prev.HubID
		}
		n.opts.Agents.NoteFight(id, where)
	}
}

// renew extends this hub's leases and drops the agents another hub has claimed since.
func (n *Node) renew(ctx context.Context) {
	got, err := n.opts.Store.RenewAgents(ctx, n.opts.HubID, n.opts.Lease)
	if err != nil && ctx.Err() != nil {
		return // stopping: Run releases everything
	}
	if err != nil {
		n.log.Warn("could not renew this hub's agent leases; other hubs drop its agents once they run out", "err", err, "lease", n.opts.Lease)
		return
	}
	type lost struct {
		id, instance string
		gen          int
	}
	var losts []lost
	n.mu.Lock()
	for id, h := range n.local {
		if h.gone || h.epoch == 0 || h.claimed != h.gen {
			continue
		}
		if e, ok := got[id]; !ok || e != h.epoch {
			losts = append(losts, lost{id, h.instance, h.gen})
		}
	}
	n.mu.Unlock()
	for _, l := range losts {
		p, err := n.opts.Store.GetPresence(ctx, l.id)
		other := "another hub"
		if err == nil {
			other = p.HubID
			if p.HubID == n.opts.HubID {
				continue // our row after all (a claim in between): next renewal decides
			}
			if p.Instance != l.instance {
				n.opts.Agents.NoteReplaced(l.id, l.instance, p.Instance, p.HubID)
			}
			if !p.FoughtAt.IsZero() && time.Since(p.FoughtAt) <= agents.FightWindow {
				n.opts.Agents.NoteFight(l.id, p.HubID)
			}
		}
		n.mu.Lock()
		h := n.local[l.id]
		still := h != nil && h.gen == l.gen && !h.gone
		n.mu.Unlock()
		if !still {
			continue
		}
		n.log.Info("agent connected to another hub: closing its tunnel here", "agent", l.id, "other_hub", other)
		n.opts.Agents.Refuse(l.id, protocol.Refusal{Code: protocol.RefuseReplaced,
			Message: "a newer connection for agent " + l.id + " took over on hub " + other})
	}
}

// pollLoop rereads the presence table every Poll, or at once after Invalidate.
func (n *Node) pollLoop(ctx context.Context) {
	t := time.NewTicker(n.opts.Poll)
	defer t.Stop()
	for {
		n.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.poke:
		}
	}
}

// poll routes the agents other live hubs hold, and stops routing those they no longer do.
func (n *Node) poll(ctx context.Context) {
	live, err := n.opts.Store.LivePresence(ctx)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("could not read the cluster's presence table", "err", err)
		}
		return
	}
	seen := make(map[string]bool, len(live))
	for _, p := range live {
		if p.HubID == n.opts.HubID {
			continue
		}
		seen[p.AgentID] = true
		n.mu.Lock()
		ra := n.remote[p.AgentID]
		fresh := ra != nil && ra.hubID == p.HubID && ra.rev == p.Rev
		n.mu.Unlock()
		if fresh {
			continue
		}
		full, err := n.opts.Store.GetPresence(ctx, p.AgentID)
		if err != nil {
			continue // gone since: the next poll sees it
		}
		var backends []protocol.Backend
		if err := json.Unmarshal([]byte(full.Backends), &backends); err != nil {
			n.log.Warn("bad backends in the presence table", "agent", p.AgentID, "hub", p.HubID, "err", err)
			continue
		}
		n.mu.Lock()
		n.remote[p.AgentID] = &remoteAgent{hubID: full.HubID, url: full.HubURL, rev: full.Rev, backends: backends}
		if !n.isLocal(p.AgentID) {
			n.opts.Router.Set(p.AgentID, backends)
			n.opts.OnAgent(p.AgentID, true)
		}
		n.mu.Unlock()
	}
	n.mu.Lock()
	for id := range n.remote {
		if seen[id] {
			continue
		}
		delete(n.remote, id)
		if !n.isLocal(id) {
			n.opts.Router.Remove(id)
			n.opts.OnAgent(id, false)
		}
	}
	n.mu.Unlock()
}
