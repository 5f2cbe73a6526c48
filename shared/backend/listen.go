package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// listening is what a modern session's subscriptions/listen stream asks for: the list
// changes the server declares, and the resources some client subscribed to (counted, since
// the session is shared by every client). A change of the resources restarts the stream.
// The counts belong to the Backend, so that subscriptions outlive a reconnection.
type listening struct {
	want kind // list changes
	sub  bool // the server declares resources.subscribe

	mu      *sync.Mutex    // Backend.subsMu
	uris    map[string]int // Backend.subs: subscribed resource → number of subscriptions
	restart context.CancelFunc
	kick    chan struct{}
}

func newListening(b *Backend, caps json.RawMessage) *listening {
	var c struct {
		Resources struct {
			Subscribe bool `json:"subscribe"`
		} `json:"resources"`
	}
	_ = json.Unmarshal(caps, &c)
	b.subsMu.Lock()
	if b.subs == nil {
		b.subs = map[string]int{}
	}
	b.subsMu.Unlock()
	return &listening{want: listChanged(caps), sub: c.Resources.Subscribe,
		mu: &b.subsMu, uris: b.subs, kick: make(chan struct{}, 1)}
}

// listChanged returns the kinds whose capability declares listChanged.
func listChanged(caps json.RawMessage) kind {
	var c map[string]struct {
		ListChanged bool `json:"listChanged"`
	}
	_ = json.Unmarshal(caps, &c)
	var k kind
	for name, bit := range map[string]kind{"tools": kindTools, "resources": kindResources, "prompts": kindPrompts} {
		if c[name].ListChanged {
			k |= bit
		}
	}
	return k
}

// params returns the subscriptions/listen params for now, and whether there is anything
// to listen for.
func (l *listening) params() (json.RawMessage, bool) {
	filter := map[string]any{}
	if l.want&kindTools != 0 {
		filter["toolsListChanged"] = true
	}
	if l.want&kindResources != 0 {
		filter["resourcesListChanged"] = true
	}
	if l.want&kindPrompts != 0 {
		filter["promptsListChanged"] = true
	}
	l.mu.Lock()
	uris := make([]string, 0, len(l.uris))
	for u := range l.uris {
		uris = append(uris, u)
	}
	l.mu.Unlock()
	if len(uris) > 0 {
		slices.Sort(uris)
		filter["resourceSubscriptions"] = uris
	}
	raw, _ := json.Marshal(map[string]any{"notifications": filter})
	return raw, len(filter) > 0
}

// subscribe counts one client's resources/subscribe (on) or unsubscribe (off) and restarts
// the stream when the set of URIs changed.
func (l *listening) subscribe(uri string, on bool) {
	l.mu.Lock()
	n := l.uris[uri]
	switch {
	case on:
		l.uris[uri] = n + 1
	case n > 1:
		l.uris[uri] = n - 1
	default:
		delete(l.uris, uri)
	}
	changed := (on && n == 0) || (!on && n == 1)
	restart := l.restart
	l.mu.Unlock()
	if !changed {
		return
	}
	if restart != nil {
		restart()
	}
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// resourceSubscription answers resources/subscribe and resources/unsubscribe for a modern
// server, which has no such methods: the URI joins or leaves the listen stream's filter.
func (s *session) resourceSubscription(req *jsonrpc.Request) *jsonrpc.Response {
	if s.listen == nil || !s.listen.sub {
		return errorResponse(req.ID, jsonrpc.CodeMethodNotFound,
			fmt.Sprintf("backend %q does not offer resource subscriptions", s.b.cfg.Name))
	}
	var p struct {
		URI string `json:"uri"`
	}
	if json.Unmarshal(req.Params, &p) != nil || p.URI == "" {
		return errorResponse(req.ID, jsonrpc.CodeInvalidParams, "params.uri must be a non-empty string")
	}
	s.listen.subscribe(p.URI, req.Method == "resources/subscribe")
	return &jsonrpc.Response{ID: req.ID, Result: json.RawMessage(`{}`)}
}

// listenLoop keeps a subscriptions/listen request open; its notifications go through
// dispatch like a legacy session's. When the stream ends unasked it re-lists (changes may
// have been missed) and listens again. Over HTTP it is also the liveness check, like the
// GET stream of a legacy session: when it cannot be re-established maxStreamRetries times
// in a row, the session is lost.
func (s *session) listenLoop() {
	l := s.listen
	failures := 0
	for round := 0; ; round++ {
		// Arm the restart before reading the filter: a subscription made after this point
		// ends the stream that is about to open without it.
		ctx, cancel := context.WithCancel(s.ctx)
		l.mu.Lock()
		l.restart = cancel
		l.mu.Unlock()
		select {
		case <-l.kick:
		default:
		}
		params, ok := l.params()
		if !ok {
			cancel()
			select {
			case <-s.ctx.Done():
				return
			case <-l.kick:
				continue
			}
		}
		var connected bool
		var err error
		if s.hdr != nil {
			connected, err = s.listenHTTP(ctx, params, round)
		} else {
			_, err = s.request(ctx, "subscriptions/listen", params)
			connected = true // on stdio the pipe is the liveness check
		}
		restarted := ctx.Err() != nil
		cancel()
		switch {
		case s.ctx.Err() != nil:
			return
		case restarted:
			failures = 0
			continue // new resource subscriptions: listen again at once
		case errors.Is(err, errListenRefused):
			s.b.log.Warn("backend refused subscriptions/listen; list changes and resource updates will not be seen", "error", err)
			return
		case connected:
			failures = 0
			s.requestRelist(l.want)
		default:
			failures++
		}
		if s.hdr != nil && failures > maxStreamRetries {
			s.fail(fmt.Errorf("subscriptions/listen: %w", err))
			return
		}
		s.b.log.Debug("subscriptions/listen ended; listening again", "error", err)
		delay := rand.N(min(s.b.opts.BackoffBase, time.Second)*time.Duration(failures+1)) + 1
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// errListenRefused means the server answered subscriptions/listen with an error.
var errListenRefused = errors.New("subscriptions/listen refused")

// listenHTTP runs one subscriptions/listen POST until its stream ends, apart from the
// connection's calls: a listen has no answer to wait for, and its end (how it ends behind
// most proxies: no response, no event id) is news for the session, not a failed call.
func (s *session) listenHTTP(ctx context.Context, params json.RawMessage, round int) (connected bool, err error) {
	params, err = withMeta(params, s.requestMeta(false, nil, ""))
	if err != nil {
		return false, err
	}
	id, _ := jsonrpc.MakeID(fmt.Sprintf("listen-%d", round)) // never a number, like internal ids
	req, err := newPost(ctx, s.b.cfg.Name, s.b.cfg.URL, &jsonrpc.Request{ID: id, Method: "subscriptions/listen", Params: params})
	if err != nil {
		return false, err
	}
	req.Header["Accept"] = acceptBoth
	req.Header.Set("Mcp-Protocol-Version", modernVersion)
	req.Header.Set("Mcp-Method", "subscriptions/listen")
	resp, err := (&http.Client{Transport: s.hdr}).Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	mt := mediaType(resp.Header)
	if resp.StatusCode != http.StatusOK || !strings.EqualFold(mt, "text/event-stream") {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if msg, derr := jsonrpc.DecodeMessage(data); derr == nil {
			if r, ok := msg.(*jsonrpc.Response); ok && r.Error != nil {
				return false, fmt.Errorf("%w: %w", errListenRefused, r.Error)
			}
		}
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			return false, fmt.Errorf("%w: %s", errListenRefused, resp.Status)
		}
		return false, fmt.Errorf("POST subscriptions/listen: %s %s", resp.Status, mt)
	}
	errEnded := errors.New("the server ended the subscription")
	err = readEvents(resp.Body, s.b.cfg.maxMessageBytes(), func(ev sseEvent) error {
		msg, err := s.eventMessage(ev, "subscriptions/listen")
		if msg == nil {
			return err
		}
		if r, ok := msg.(*jsonrpc.Response); ok && r.ID == id {
			return errEnded
		}
		s.dispatch(msg)
		return nil
	})
	return true, err
}
