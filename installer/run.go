package installer

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/kardianos/service"
)

// ErrStoppedByItself is returned by Run when the body returned without being asked to stop.
var ErrStoppedByItself = errors.New("the agent stopped by itself")

// Run runs body as the service's process, under the control of the service manager: on
// Windows this is the service control handshake; systemd and launchd stop it with SIGTERM,
// which ends ctx (main's signal context). Run returns when body has returned. If body ends
// on its own, Run returns its error (or ErrStoppedByItself) so that the process exits
// non-zero and the service manager restarts it.
func Run(ctx context.Context, body func(context.Context) error) error {
	p := &program{parent: ctx, body: body, done: make(chan struct{})}
	svc, err := service.New(p, &service.Config{Name: Name, Option: service.KeyValue{"RunWait": p.wait}})
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	if err := svc.Run(); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	<-p.done
	return p.result()
}

type program struct {
	parent context.Context
	body   func(context.Context) error
	done   chan struct{}

	mu       sync.Mutex
	cancel   context.CancelFunc
	err      error
	stopped  bool // Stop was called: the end is expected
	byItself bool // the body returned before anyone asked it to stop
}

func (p *program) Start(service.Service) error {
	ctx, cancel := context.WithCancel(p.parent)
	p.mu.Lock()
	p.cancel = cancel
	p.mu.Unlock()
	go func() {
		err := p.body(ctx)
		p.mu.Lock()
		p.err = err
		p.byItself = !p.stopped && p.parent.Err() == nil
		byItself := p.byItself
		p.mu.Unlock()
		close(p.done)
		if byItself {
			endedByItself(p.result())
		}
	}()
	return nil
}

func (p *program) Stop(service.Service) error {
	p.mu.Lock()
	p.stopped = true
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-p.done
	}
	return nil
}

// wait is kardianos/service's RunWait on POSIX systems: the service runs until the
// signal context ends or the body returns.
func (p *program) wait() {
	select {
	case <-p.parent.Done():
	case <-p.done:
	}
}

func (p *program) result() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.byItself {
		return ErrStoppedByItself
	}
	return nil
}
