package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// ErrDuplicate is returned by Add for a name the set already has.
var ErrDuplicate = errors.New("backend name already in use")

// Set is the backends of one agent or hub, in configuration order. Backends may be added
// and removed while it runs.
type Set struct {
	opts Options

	mu      sync.RWMutex
	list    []*Backend
	byName  map[string]*Backend
	running map[string]*supervised // started backends, by name
	runCtx  context.Context        // set while Run runs: Add starts new backends under it
	wg      sync.WaitGroup
	errs    []error
}

// supervised is a started backend and how to stop it.
type supervised struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// NewSet validates every entry and refuses duplicate names.
func NewSet(cfgs []Config, opts Options) (*Set, error) {
	s := &Set{opts: opts, byName: make(map[string]*Backend, len(cfgs)), running: map[string]*supervised{}}
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

// Run runs every backend, including those added later, until ctx is done and they have
// all stopped.
func (s *Set) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.runCtx != nil {
		s.mu.Unlock()
		return errors.New("backend set: already running")
	}
	s.runCtx = ctx
	for _, b := range s.list {
		s.startLocked(b)
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runCtx = nil
	err := errors.Join(s.errs...)
	s.errs = nil
	return err
}

// startLocked supervises b under the running set's context. s.mu is held.
func (s *Set) startLocked(b *Backend) {
	ctx, cancel := context.WithCancel(s.runCtx)
	sv := &supervised{cancel: cancel, done: make(chan struct{})}
	s.running[b.Name()] = sv
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(sv.done)
		defer cancel()
		if err := b.Run(ctx); err != nil {
			s.mu.Lock()
			s.errs = append(s.errs, err)
			s.mu.Unlock()
		}
	}()
}

// Add validates cfg and adds a backend; if the set is running, the backend starts at once.
// A name already in the set is refused with ErrDuplicate.
func (s *Set) Add(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add backend %q: %w", cfg.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byName[cfg.Name]; dup {
		return fmt.Errorf("add backend %q: %w", cfg.Name, ErrDuplicate)
	}
	b := New(cfg, s.opts)
	s.list = append(s.list, b)
	s.byName[cfg.Name] = b
	if s.runCtx != nil && s.runCtx.Err() == nil {
		s.startLocked(b)
	}
	return nil
}

// Remove stops the named backend (for stdio, its process group is killed) and removes it;
// calls in flight on it fail. It returns once the backend has stopped.
func (s *Set) Remove(name string) error {
	s.mu.Lock()
	b, ok := s.byName[name]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("remove backend %q: %w", name, ErrUnknownBackend)
	}
	delete(s.byName, name)
	s.list = slices.DeleteFunc(s.list, func(x *Backend) bool { return x == b })
	sv := s.running[name]
	delete(s.running, name)
	s.mu.Unlock()
	if sv != nil {
		sv.cancel()
		<-sv.done
	}
	return nil
}

// Get returns the backend with this name.
func (s *Set) Get(name string) (*Backend, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.byName[name]
	return b, ok
}

// Names returns the backends' names, in configuration order.
func (s *Set) Names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.list))
	for i, b := range s.list {
		out[i] = b.Name()
	}
	return out
}

// Snapshots returns every backend's snapshot, in configuration order.
func (s *Set) Snapshots() []protocol.Backend {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]protocol.Backend, len(s.list))
	for i, b := range s.list {
		out[i] = b.Snapshot()
	}
	return out
}

// Call sends the call to the named backend; see Backend.Call.
func (s *Set) Call(ctx context.Context, backend string, c *Call) (*jsonrpc.Response, error) {
	b, ok := s.Get(backend)
	if !ok {
		return nil, fmt.Errorf("backend %q: %w", backend, ErrUnknownBackend)
	}
	return b.Call(ctx, c)
}
