package gateway

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// upstreamSubs is the hub's side of resource subscriptions: the hub is one client of each
// backend, holding there the union of its clients' subscriptions. Per target (agent,
// backend, the backend's URI) it keeps who holds it (client sessions and listen streams),
// so that the backend is asked to subscribe once, when the first holder comes, and to
// unsubscribe when the last one leaves; and which agent process the subscription was made
// in, so that it is made again when the agent comes back as a new process (an agent that
// restarts starts its servers afresh, and they forget every subscription). See
// docs/DECISIONS.md, "Resource subscriptions across agent reconnections".
type upstreamSubs struct {
	mu      sync.Mutex
	targets map[router.Target]*upstreamSub
	agents  map[string]string // agent id → incarnation of its current connection
}

// upstreamSub is one target's subscription.
type upstreamSub struct {
	op      sync.Mutex      // serialises the target's upstream subscribe and unsubscribe
	users   int             // goroutines between enter and leave (upstreamSubs.mu)
	holders map[string]bool // (upstreamSubs.mu)
	made    bool            // the backend holds the subscription (op)
	in      string          // the agent incarnation it was made in (op)
}

func newUpstreamSubs() *upstreamSubs {
	return &upstreamSubs{targets: map[router.Target]*upstreamSub{}, agents: map[string]string{}}
}

// enter returns the target's entry with its op lock held; leave gives it back.
func (u *upstreamSubs) enter(t router.Target) *upstreamSub {
	u.mu.Lock()
	e := u.targets[t]
	if e == nil {
		e = &upstreamSub{holders: map[string]bool{}}
		u.targets[t] = e
	}
	e.users++
	u.mu.Unlock()
	e.op.Lock()
	return e
}

func (u *upstreamSubs) leave(t router.Target, e *upstreamSub) {
	e.op.Unlock()
	u.mu.Lock()
	if e.users--; e.users == 0 && len(e.holders) == 0 && !e.made {
		delete(u.targets, t)
	}
	u.mu.Unlock()
}

// incarnation is the agent's current connection's process ("" for the hub's own backends).
func (u *upstreamSubs) incarnation(agent string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.agents[agent]
}

// subscribe adds holder to the target. It calls upstream (a resources/subscribe to the
// backend) unless the backend holds the subscription already in the agent's current
// process; the holder is kept only when that succeeds. It returns upstream's answer, or nil
// when there was no need to ask.
func (u *upstreamSubs) subscribe(t router.Target, holder string, upstream func() *jsonrpc.Response) *jsonrpc.Response {
	e := u.enter(t)
	defer u.leave(t, e)
	var resp *jsonrpc.Response
	if in := u.incarnation(t.Agent); !e.made || e.in != in {
		if resp = upstream(); resp.Error != nil {
			return resp
		}
		e.made, e.in = true, in
	}
	u.mu.Lock()
	e.holders[holder] = true
	u.mu.Unlock()
	return resp
}

// unsubscribe takes holder off the target. When nobody else holds it, it calls upstream
// (a resources/unsubscribe to the backend: also when the holder held nothing, so that the
// backend answers for its own resources) and returns its answer; otherwise nil.
func (u *upstreamSubs) unsubscribe(t router.Target, holder string, upstream func() *jsonrpc.Response) *jsonrpc.Response {
	e := u.enter(t)
	defer u.leave(t, e)
	u.mu.Lock()
	delete(e.holders, holder)
	rest := len(e.holders)
	u.mu.Unlock()
	if rest > 0 {
		return nil
	}
	e.made = false
	return upstream()
}

// heldBy returns the targets holder holds.
func (u *upstreamSubs) heldBy(holder string) []router.Target {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []router.Target
	for t, e := range u.targets {
		if e.holders[holder] {
			out = append(out, t)
		}
	}
	return out
}

// stale records the agent's incarnation and returns its targets that some client holds
// but that were made in another process of the agent, on backends now ready.
func (u *upstreamSubs) stale(agent, in string, ready map[string]bool) []router.Target {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.agents[agent] = in
	var out []router.Target
	for t, e := range u.targets {
		if t.Agent == agent && ready[t.Backend] && len(e.holders) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// renew subscribes again, in the agent's current process, to a target some client holds.
func (u *upstreamSubs) renew(t router.Target, upstream func() *jsonrpc.Response) (*jsonrpc.Response, bool) {
	e := u.enter(t)
	defer u.leave(t, e)
	u.mu.Lock()
	held := len(e.holders) > 0
	u.mu.Unlock()
	in := u.incarnation(t.Agent)
	if !held || (e.made && e.in == in) {
		return nil, false
	}
	resp := upstream()
	if resp.Error == nil {
		e.made, e.in = true, in
	}
	return resp, true
}

// upstreamSubTimeout bounds a subscribe or unsubscribe the hub sends on its own behalf.
const upstreamSubTimeout = 30 * time.Second

// hubCaller names the hub as the caller of what it sends on its own behalf.
var hubCaller = protocol.Caller{Name: "mcp-gateway-hub"}

// ownCall sends method for the target's URI on the hub's own behalf.
func (g *Gateway) ownCall(t router.Target, method string) *jsonrpc.Response {
	ctx, cancel := context.WithTimeout(g.bgCtx, upstreamSubTimeout)
	defer cancel()
	params, _ := json.Marshal(map[string]string{"uri": t.Name})
	id, _ := jsonrpc.MakeID("gw-" + method)
	resp, err := g.upstream.Call(ctx, t, &backend.Call{Request: &jsonrpc.Request{ID: id, Method: method, Params: params},
		Caller: hubCaller, ClientCapabilities: json.RawMessage(`{}`)})
	switch {
	case err != nil:
		return errorResponse(id, codeUnavailable, err.Error())
	case resp == nil:
		return errorResponse(id, codeInternal, "the backend sent no response")
	}
	return resp
}

// AgentReady tells the gateway an agent's current connection and backends: incarnation
// names the agent process behind it. Subscriptions its clients hold that were made in
// another process are made again, in the background, on the backends that are ready.
func (g *Gateway) AgentReady(agent, incarnation string, backends []protocol.Backend) {
	ready := map[string]bool{}
	for _, b := range backends {
		if b.State == protocol.StateReady {
			ready[b.Name] = true
		}
	}
	stale := g.upsubs.stale(agent, incarnation, ready)
	if len(stale) == 0 {
		return
	}
	g.bg.Go(func() {
		for _, t := range stale {
			resp, sent := g.upsubs.renew(t, func() *jsonrpc.Response { return g.ownCall(t, mcp.MethodResourcesSubscribe) })
			switch {
			case !sent:
			case resp.Error != nil:
				g.log.Warn("cannot renew a resource subscription after the agent came back; its clients get no updates",
					"agent", t.Agent, "backend", t.Backend, "uri", t.Name, "error", resp.Error.Error())
			default:
				g.log.Info("resource subscription renewed after the agent came back", "agent", t.Agent, "backend", t.Backend, "uri", t.Name)
			}
		}
	})
}

// releaseAll takes holder off every target it holds, unsubscribing upstream where it was
// the last (when a session ends or a listen stream closes). It runs in the background.
func (g *Gateway) releaseAll(holder string) {
	if len(g.upsubs.heldBy(holder)) == 0 {
		return
	}
	g.bg.Go(func() { g.release(holder) })
}

func (g *Gateway) release(holder string) {
	for _, t := range g.upsubs.heldBy(holder) {
		resp := g.upsubs.unsubscribe(t, holder, func() *jsonrpc.Response { return g.ownCall(t, mcp.MethodResourcesUnsubscribe) })
		if resp != nil && resp.Error != nil {
			g.log.Debug("unsubscribe after the last client left failed", "agent", t.Agent, "backend", t.Backend, "uri", t.Name, "error", resp.Error.Error())
		}
	}
}
