package backend

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Set is the backends of one agent or hub, in configuration order.
type Set struct {
	list   []*Backend
	byName map[string]*Backend
}

// NewSet validates every entry and refuses duplicate names.
func NewSet(cfgs []Config, opts Options) (*Set, error) {
	s := &Set{byName: make(map[string]*Backend, len(cfgs))}
	for i := range cfgs {
		if err := cfgs[i].Validate(); err != nil {
			return nil, err
		}
		if _, dup := s.byName[cfgs[i].Name]; dup {
			return nil, fmt.Errorf("backend %q: declared twice; names must be unique", cfgs[i].Name)
		}
		b := New(cfgs[i], opts)
		s.list = append(s.list, b)
		s.byName[b.Name()] = b
	}
	return s, nil
}

// Run runs every backend until ctx is done and they have all stopped.
func (s *Set) Run(ctx context.Context) error {
	if len(s.list) == 0 {
		<-ctx.Done() // like a Set with backends: return only when told to
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, len(s.list))
	for i, b := range s.list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.Run(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Get returns the backend with this name.
func (s *Set) Get(name string) (*Backend, bool) {
	b, ok := s.byName[name]
	return b, ok
}

// Snapshots returns every backend's snapshot, in configuration order.
func (s *Set) Snapshots() []protocol.Backend {
	out := make([]protocol.Backend, len(s.list))
	for i, b := range s.list {
		out[i] = b.Snapshot()
	}
	return out
}

// Call sends req to the named backend; see Backend.Call.
func (s *Set) Call(ctx context.Context, backend string, req *jsonrpc.Request, sink Sink) (*jsonrpc.Response, error) {
	b, ok := s.byName[backend]
	if !ok {
		return nil, fmt.Errorf("backend %q: %w", backend, ErrUnknownBackend)
	}
	return b.Call(ctx, req, sink)
}
