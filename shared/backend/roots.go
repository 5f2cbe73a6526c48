package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// An unlinked roots/list while several clients' calls are in flight is the one
// server→client request that can still be answered without knowing whose call asked: it
// carries nothing of the call, so every one of those clients may be asked, and when they
// all give the same roots, that is the answer the right client gave too. Sampling and
// elicitation carry the call's prompt or question and are refused instead.

// errRootsDiffer means the clients that could have caused a roots/list gave different roots.
var errRootsDiffer = errors.New("the clients with calls in flight have different roots")

// candidates returns, per client (Call.Owner), its latest call in flight that has a sink; calls
// of unknown owner each count as a client of their own.
func (s *session) candidates() []*pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := map[string]*pending{}
	var out []*pending
	for _, p := range s.calls {
		if p.sink == nil {
			continue
		}
		o := p.owner
		if o == "" {
			out = append(out, p)
			continue
		}
		if q := latest[o]; q == nil || p.n > q.n {
			latest[o] = p
		}
	}
	for _, p := range latest {
		out = append(out, p)
	}
	return out
}

// agreedRoots is a Sink that asks roots/list of every candidate client and answers only
// with roots all of them share.
type agreedRoots struct {
	calls []*pending
}

func (a agreedRoots) Notify(*jsonrpc.Request) {}

func (a agreedRoots) Request(ctx context.Context, req *jsonrpc.Request) (*jsonrpc.Response, error) {
	roots := make([]json.RawMessage, len(a.calls))
	errs := make([]error, len(a.calls))
	var wg sync.WaitGroup
	for i, p := range a.calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each client is asked within its own call and within the server's request.
			cctx, cancel := context.WithCancel(p.ctx)
			defer cancel()
			defer context.AfterFunc(ctx, cancel)()
			roots[i], errs[i] = askRoots(cctx, p.sink, req)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		// Not %w: one client's own JSON-RPC error is no answer for the server.
		return nil, fmt.Errorf("%w, and not all of them answered roots/list: %v", errAmbiguous, err)
	}
	var first any
	for i, raw := range roots {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("roots/list answer: %w", err)
		}
		if i == 0 {
			first = v
		} else if !reflect.DeepEqual(first, v) {
			return nil, fmt.Errorf("%w: %w", errAmbiguous, errRootsDiffer)
		}
	}
	result, err := marshalRaw(map[string]json.RawMessage{"roots": roots[0]})
	return &jsonrpc.Response{ID: req.ID, Result: result}, err
}

// askRoots returns the roots member of one client's roots/list answer.
func askRoots(ctx context.Context, sink Sink, req *jsonrpc.Request) (json.RawMessage, error) {
	resp, err := sink.Request(ctx, req)
	switch {
	case err != nil:
		return nil, err
	case resp == nil:
		return nil, errors.New("a client gave no answer")
	case resp.Error != nil:
		return nil, resp.Error
	}
	var r struct {
		Roots json.RawMessage `json:"roots"`
	}
	if err := json.Unmarshal(resp.Result, &r); err != nil || len(r.Roots) == 0 {
		return nil, fmt.Errorf("a client's roots/list answer has no roots: %s", resp.Result)
	}
	return r.Roots, nil
}
