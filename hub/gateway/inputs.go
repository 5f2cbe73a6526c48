package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// The input_required bridge: a legacy backend asks a server→client request (sampling,
// elicitation, roots) during a call from a stateless client. The client cannot be asked
// mid-call, so the hub answers it with an input_required result carrying the request
// and a requestState token, keeps the backend call waiting, and resumes it when the client
// retries with inputResponses and that token. The waiting call lives in this hub's memory:
// it is the one piece of per-request state the protocol cannot carry for us.

// statePrefix marks the requestState tokens this bridge issued; any other requestState
// belongs to a backend that speaks the stateless protocol itself and passes through.
const statePrefix = "mcpgw1."

// ask is one server→client request of a waiting call.
type ask struct {
	key    string
	method string
	params json.RawMessage
	answer chan json.RawMessage // the client's result, once
}

// bridgedCall is one backend call of a stateless client that may wait for input.
type bridgedCall struct {
	identity auth.Identity
	method   string
	cancel   context.CancelFunc
	asks     chan *ask              // new server→client requests, from the call
	done     chan *jsonrpc.Response // the call's response, once

	mu      sync.Mutex
	em      emitter         // the reply attached now; nil while the call waits for a retry
	held    [][]byte        // notifications sent while no reply was attached, oldest first
	open    map[string]*ask // asked and not answered yet, by key
	used    map[string]bool // every key this call gave out
	nextKey int
	token   string
	timer   *time.Timer
}

// maxHeld bounds the notifications kept for a call that waits for the client's retry; past
// it the oldest are dropped.
const maxHeld = 64

// emit sends a progress or log notification to the attached reply. While the call waits
// for the client's retry there is none: the notification is held (at most maxHeld, the
// newest kept) and sent on the retry's reply before anything else, so progress made while
// the client answered is not lost.
func (b *bridgedCall) emit(ctx context.Context, msg []byte) error {
	b.mu.Lock()
	em := b.em
	if em == nil {
		if len(b.held) == maxHeld {
			b.held = append(b.held[:0], b.held[1:]...)
		}
		b.held = append(b.held, slices.Clone(msg))
	}
	b.mu.Unlock()
	if em == nil {
		return nil
	}
	return em.emit(ctx, msg)
}

// attach makes reply the call's reply once the notifications held meanwhile are sent to it,
// in order: one that comes during the flush is held too, and sent in the next turn.
func (b *bridgedCall) attach(ctx context.Context, reply emitter) {
	for {
		b.mu.Lock()
		held := b.held
		b.held = nil
		if len(held) == 0 {
			b.em = reply
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		for _, msg := range held {
			_ = reply.emit(ctx, msg)
		}
	}
}

// detach ends reply's turn as the call's reply. Only reply's: the client may have had the
// input_required result and attached its retry's reply already, which must keep the call's
// notifications (a regression: the retry's reply was detached, and the progress made while
// it waited was lost).
func (b *bridgedCall) detach(reply emitter) {
	b.mu.Lock()
	if b.em == reply {
		b.em = nil
	}
	b.mu.Unlock()
}

// request is the client's ask function for a bridged call: it queues the request and
// waits for the answer the client's retry carries.
func (b *bridgedCall) request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	b.mu.Lock()
	a := &ask{key: b.keyFor(req.ID), method: req.Method, params: req.Params, answer: make(chan json.RawMessage, 1)}
	b.mu.Unlock()
	select {
	case b.asks <- a:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-a.answer:
		return &jsonrpc.Response{ID: req.ID, Result: res}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// keyFor names a backend's request in inputRequests by the backend's own request id (a
// number as its digits, a string as itself): the key keeps the backend's meaning, and stays
// the same in every round until the request is answered. An id this call already used, or
// none, gets a key of its own. Called with b.mu held.
func (b *bridgedCall) keyFor(id jsonrpc.ID) string {
	var key string
	switch v := id.Raw().(type) {
	case int64:
		key = strconv.FormatInt(v, 10)
	case string:
		key = v
	}
	for key == "" || b.used[key] {
		b.nextKey++
		key = "input-" + strconv.Itoa(b.nextKey)
	}
	if b.used == nil {
		b.used = map[string]bool{}
	}
	b.used[key] = true
	return key
}

// inputs holds the calls that wait for a client's retry, by requestState token.
type inputs struct {
	mu      sync.Mutex
	calls   map[string]*bridgedCall
	max     int
	timeout time.Duration
}

var errTooManyWaiting = errors.New("too many calls are waiting for client input")

// park keeps a call waiting under a fresh token until the client retries or the timeout
// ends it (then the backend call is cancelled).
func (in *inputs) park(b *bridgedCall) (string, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.calls) >= in.max {
		return "", errTooManyWaiting
	}
	token := statePrefix + randomID()
	in.calls[token] = b
	b.mu.Lock()
	b.token = token
	b.timer = time.AfterFunc(in.timeout, func() {
		if in.take(token, b.identity) != nil {
			b.cancel()
		}
	})
	b.mu.Unlock()
	return token, nil
}

// take removes and returns the call waiting under token for this caller; nil when there
// is none (unknown, expired, or another caller's).
func (in *inputs) take(token string, id auth.Identity) *bridgedCall {
	in.mu.Lock()
	defer in.mu.Unlock()
	b := in.calls[token]
	if b == nil || !sameCaller(b.identity, id) {
		return nil
	}
	delete(in.calls, token)
	b.mu.Lock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	return b
}

func (in *inputs) count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.calls)
}

// closeAll cancels every waiting call (hub shutdown).
func (in *inputs) closeAll() {
	in.mu.Lock()
	calls := in.calls
	in.calls = map[string]*bridgedCall{}
	in.mu.Unlock()
	for _, b := range calls {
		b.cancel()
	}
}

// serveBridged serves tools/call, prompts/get and resources/read of a stateless client:
// a first request starts the backend call, a retry carrying one of our requestState
// tokens resumes the call waiting under it. orig is the request's params as the client
// sent them (req's have the reserved members stripped).
func (g *Gateway) serveBridged(w http.ResponseWriter, r *http.Request, c *client, req *jsonrpc.Request, orig json.RawMessage) {
	if state, _ := mcp.StringField(orig, "requestState"); strings.HasPrefix(state, statePrefix) {
		b := g.inputs.take(state, c.identity)
		switch {
		case b == nil:
			writeModern(w, errorResponse(req.ID, codeInvalidParams, "unknown or expired requestState: send the request again without it"))
		case b.method != req.Method:
			b.cancel()
			writeModern(w, errorResponse(req.ID, codeInvalidParams, "requestState belongs to a "+b.method+" request, not "+req.Method))
		default:
			answers, _ := mcp.Field(orig, "inputResponses")
			g.await(r.Context(), b, req, newPostReply(w, r, nil), answers)
		}
		return
	}
	reply := newPostReply(w, r, nil)
	if !c.caps.canAnswer() {
		// Nothing the backend could ask would reach this client: no bridge, no goroutine.
		reply.respond(g.completeResult(req.Method, g.dispatch(r.Context(), c, req, reply)))
		return
	}
	// The call must outlive this HTTP request once it waits for input: it ends with the
	// client's disconnect only while a reply is attached (see await).
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	b := &bridgedCall{identity: c.identity, method: req.Method, cancel: cancel,
		asks: make(chan *ask), done: make(chan *jsonrpc.Response, 1), open: map[string]*ask{}}
	c.ask = b.request
	b.em = reply // before the call starts: its first progress must not be lost
	go func() {
		defer cancel()
		b.done <- g.dispatch(ctx, c, req, b)
	}()
	g.await(r.Context(), b, req, reply, nil)
}

// answer hands the inputResponses of a retry to the asks waiting for them.
func (b *bridgedCall) answer(raw json.RawMessage) {
	var responses map[string]json.RawMessage
	_ = json.Unmarshal(raw, &responses)
	b.mu.Lock()
	defer b.mu.Unlock()
	for key, res := range responses {
		if a := b.open[key]; a != nil {
			a.answer <- res
			delete(b.open, key)
		}
	}
}

func (b *bridgedCall) add(a *ask) {
	b.mu.Lock()
	b.open[a.key] = a
	b.mu.Unlock()
}

// await attaches a reply to the call, hands it the retry's answers, and answers the
// client with the call's result, or with an input_required result when the backend asks
// the client something.
func (g *Gateway) await(ctx context.Context, b *bridgedCall, req *jsonrpc.Request, reply *postReply, answers json.RawMessage) {
	b.attach(ctx, reply)
	defer b.detach(reply)
	if answers != nil {
		b.answer(answers)
	}
	fresh := false // a new request arrived during this await
	for {
		select {
		case resp := <-b.done:
			resp.ID = req.ID
			reply.respond(g.completeResult(req.Method, resp))
			return
		default:
		}
		b.mu.Lock()
		pending := len(b.open) > 0
		b.mu.Unlock()
		if pending {
			break
		}
		select {
		case resp := <-b.done:
			resp.ID = req.ID
			reply.respond(g.completeResult(req.Method, resp))
			return
		case a := <-b.asks:
			b.add(a)
			fresh = true
		case <-ctx.Done():
			b.cancel() // the client left: cancellation by closing the stream
			return
		}
	}
	if fresh {
		// A legacy server sends the requests it makes at once one after the other, with
		// nothing that says it is done asking: collect what else it asks until it is quiet
		// for InputGather (at most 10 times that in all), so one round trip serves them all.
		if resp, left := g.gather(ctx, b); resp != nil || left {
			if resp != nil {
				resp.ID = req.ID
				reply.respond(g.completeResult(req.Method, resp))
			}
			return
		}
	} else {
		// The client left some requests unanswered: ask them again at once, with anything
		// new that is already there.
		for more := true; more; {
			select {
			case a := <-b.asks:
				b.add(a)
			default:
				more = false
			}
		}
	}
	token, err := g.inputs.park(b)
	if err != nil {
		b.cancel()
		reply.finish(errorResponse(req.ID, codeInternal, err.Error()))
		return
	}
	b.mu.Lock()
	asks := make(map[string]any, len(b.open))
	for k, a := range b.open {
		asks[k] = map[string]any{"method": a.method, "params": a.params}
	}
	b.mu.Unlock()
	res, _ := json.Marshal(map[string]any{"resultType": "input_required", "inputRequests": asks, "requestState": token,
		"_meta": g.resultMeta(nil)})
	reply.finish(result(req.ID, res))
}

// gather adds to b the requests the backend makes while it keeps asking: each one extends
// the wait by InputGather, up to 10 times that in all. It returns the call's response when
// the call ends meanwhile (its requests are moot then), or left when the client did.
func (g *Gateway) gather(ctx context.Context, b *bridgedCall) (resp *jsonrpc.Response, left bool) {
	quiet := time.NewTimer(g.cfg.InputGather)
	defer quiet.Stop()
	limit := time.NewTimer(10 * g.cfg.InputGather)
	defer limit.Stop()
	for {
		select {
		case a := <-b.asks:
			b.add(a)
			quiet.Reset(g.cfg.InputGather)
		case resp := <-b.done:
			return resp, false
		case <-ctx.Done():
			b.cancel() // the client left: cancellation by closing the stream
			return nil, true
		case <-quiet.C:
			return nil, false
		case <-limit.C:
			return nil, false
		}
	}
}
