package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// filter is the set of notifications a subscriptions/listen stream opted in to
// (SubscriptionFilter in the schema).
type filter struct {
	ToolsListChanged      bool     `json:"toolsListChanged,omitempty"`
	PromptsListChanged    bool     `json:"promptsListChanged,omitempty"`
	ResourcesListChanged  bool     `json:"resourcesListChanged,omitempty"`
	ResourceSubscriptions []string `json:"resourceSubscriptions,omitempty"`
}

// listener is one open subscriptions/listen stream.
type listener struct {
	key      string        // the caller's limitKey
	identity auth.Identity // the caller when the stream opened
	group    string        // the tool group of the endpoint the stream opened at ("" for /mcp)
	id       jsonrpc.ID
	filter   filter
	uris     map[string]bool
	ch       chan []byte // notifications, already encoded with the subscription id

	endOnce sync.Once
	end     chan struct{} // closed by endWith: the stream ends with an error naming why
	why     string
}

// endWith ends the stream with an error saying why (its caller's key was revoked, say).
func (l *listener) endWith(why string) {
	l.endOnce.Do(func() {
		l.why = why
		close(l.end)
	})
}

func (l *listener) wants(method string) bool {
	switch method {
	case mcp.NotificationToolsListChanged:
		return l.filter.ToolsListChanged
	case mcp.NotificationPromptsListChanged:
		return l.filter.PromptsListChanged
	case mcp.NotificationResourcesListChanged:
		return l.filter.ResourcesListChanged
	}
	return false
}

// notification encodes a notification for this stream: with the subscription id in _meta.
func (l *listener) notification(method string, params map[string]any) []byte {
	if params == nil {
		params = map[string]any{}
	}
	params["_meta"] = map[string]any{mcp.MetaSubscriptionID: l.id.Raw()}
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method, "params": params})
	return b
}

// send queues a notification; a stream that does not drain loses it (list_changed is
// idempotent and the client re-lists on its next request anyway).
func (l *listener) send(msg []byte) {
	select {
	case l.ch <- msg:
	default:
	}
}

// listeners is the set of open subscriptions/listen streams, counted per key.
type listeners struct {
	max  int // per key; 0: no cap
	mu   sync.Mutex
	m    map[*listener]bool
	per  map[string]int
	stop chan struct{} // closed at shutdown: every stream ends with its result
	once sync.Once
}

func newListeners(max int) *listeners {
	return &listeners{max: max, m: map[*listener]bool{}, per: map[string]int{}, stop: make(chan struct{})}
}

// reserve takes one of key's places for a stream; false when the key is at its cap.
func (ls *listeners) reserve(key string) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.max > 0 && ls.per[key] >= ls.max {
		return false
	}
	ls.per[key]++
	return true
}

// release gives a place back.
func (ls *listeners) release(key string) {
	ls.mu.Lock()
	if ls.per[key]--; ls.per[key] <= 0 {
		delete(ls.per, key)
	}
	ls.mu.Unlock()
}

func (ls *listeners) add(l *listener) {
	ls.mu.Lock()
	ls.m[l] = true
	ls.mu.Unlock()
}

func (ls *listeners) remove(l *listener) {
	ls.mu.Lock()
	delete(ls.m, l)
	ls.mu.Unlock()
}

func (ls *listeners) all() []*listener {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	out := make([]*listener, 0, len(ls.m))
	for l := range ls.m {
		out = append(out, l)
	}
	return out
}

func (ls *listeners) count() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.m)
}

func (ls *listeners) closeAll() { ls.once.Do(func() { close(ls.stop) }) }

// listenChanged sends list_changed to the streams that opted in to it; inGroup says
// whether it concerns the streams of a group's endpoint.
func (ls *listeners) listChanged(method string, inGroup func(group string) bool) {
	for _, l := range ls.all() {
		if l.wants(method) && (l.group == "" || inGroup(l.group)) {
			l.send(l.notification(method, nil))
		}
	}
}

// groupsChanged sends list_changed to the streams of the groups' endpoints for which
// changed says so, and to no stream of /mcp.
func (ls *listeners) groupsChanged(method string, changed func(group string) bool) {
	for _, l := range ls.all() {
		if l.group != "" && l.wants(method) && changed(l.group) {
			l.send(l.notification(method, nil))
		}
	}
}

// resourceUpdated sends resources/updated to the streams subscribed to uri.
func (ls *listeners) resourceUpdated(uri string) {
	for _, l := range ls.all() {
		if l.uris[uri] {
			l.send(l.notification(mcp.NotificationResourceUpdated, map[string]any{"uri": uri}))
		}
	}
}

// subscribeTimeout bounds the resources/subscribe a listen stream sends a backend.
const subscribeTimeout = 10 * time.Second

// listen serves subscriptions/listen: a long-lived SSE reply that first acknowledges what
// the hub agreed to send, then carries those notifications and keep-alives until the
// client closes it, or until the hub shuts down (then it ends with the request's result).
func (g *Gateway) listen(w http.ResponseWriter, r *http.Request, c *client, req *jsonrpc.Request) {
	if !accepts(r, "text/event-stream") {
		httpError(w, http.StatusNotAcceptable, "subscriptions/listen replies with an SSE stream: send Accept: text/event-stream")
		return
	}
	var p struct {
		Notifications *filter `json:"notifications"`
	}
	if json.Unmarshal(req.Params, &p) != nil || p.Notifications == nil {
		writeModern(w, errorResponse(req.ID, codeInvalidParams, "params.notifications must be an object"))
		return
	}
	key := limitKey(c.identity)
	if !g.subs.reserve(key) {
		g.counts.listensRefused.Add(1)
		writeLimit(w, req.ID, "subscriptions/listen streams", "limits.max_listens_per_key", g.cfg.MaxListensPerKey)
		return
	}
	defer g.subs.release(key)
	l := &listener{key: key, identity: c.identity, group: c.group.name(), id: req.ID, filter: *p.Notifications, uris: map[string]bool{},
		ch: make(chan []byte, 64), end: make(chan struct{})}
	// The stream holds its resource subscriptions at the backends until it closes.
	lc := *c
	lc.listen = randomID()
	c = &lc
	defer g.releaseAll(c.holder())
	// Resource updates need the backend to send them: subscribe upstream. A URI that routes
	// nowhere or that the backend refuses is left out of the acknowledgement.
	var agreed []string
	for _, uri := range l.filter.ResourceSubscriptions {
		if l.uris[uri] {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), subscribeTimeout)
		params, _ := json.Marshal(map[string]string{"uri": uri})
		resp := g.dispatch(ctx, c, &jsonrpc.Request{ID: req.ID, Method: mcp.MethodResourcesSubscribe, Params: params}, discard{})
		cancel()
		if resp.Error == nil {
			l.uris[uri] = true
			agreed = append(agreed, uri)
		}
	}
	l.filter.ResourceSubscriptions = agreed
	g.subs.add(l)
	defer g.subs.remove(l)

	startSSE(w)
	if writeEvent(w, l.notification(mcp.NotificationSubscriptionsAcknowledged, map[string]any{"notifications": l.filter})) != nil {
		return
	}
	t := time.NewTicker(g.cfg.KeepAlive)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-g.subs.stop:
			res, _ := json.Marshal(map[string]any{"resultType": "complete", "_meta": g.resultMeta(map[string]any{mcp.MetaSubscriptionID: req.ID.Raw()})})
			_ = writeEvent(w, encode(result(req.ID, res)))
			return
		case <-l.end:
			_ = writeEvent(w, encode(errorResponse(req.ID, codeUnauthorized, l.why)))
			return
		case msg := <-l.ch:
			if writeEvent(w, msg) != nil {
				return
			}
		case <-t.C:
			if writeKeepAlive(w) != nil {
				return
			}
		}
	}
}

// discard is an emitter for requests the hub makes on its own behalf.
type discard struct{}

func (discard) emit(context.Context, []byte) error { return nil }
