package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// fleet is the agents of this process: each a real tunnel with a hello naming one ready
// backend ("canned") of canned tools, and a reader on its control stream.
type fleet struct {
	url     string
	tools   []json.RawMessage
	mu      sync.Mutex
	sess    []*tunnel.Session
	closing atomic.Bool
	ended   atomic.Int64
	wg      sync.WaitGroup
}

func newFleet(url string, tools int) *fleet {
	f := &fleet{url: url}
	for i := range tools {
		f.tools = append(f.tools, json.RawMessage(fmt.Sprintf(
			`{"name":"tool_%d","description":"canned tool %d of the load program","inputSchema":{"type":"object","properties":{"message":{"type":"string"}}}}`, i, i)))
	}
	return f
}

// connect opens one agent per key (agent ids from offset on), conc handshakes at a time,
// and returns when every agent has been welcomed.
func (f *fleet) connect(ctx context.Context, keys []string, offset, conc int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	errc := make(chan error, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range next {
				if err := f.open(ctx, agentID(offset+i), keys[i]); err != nil {
					errc <- fmt.Errorf("agent %s: %w", agentID(offset+i), err)
					cancel()
					return
				}
			}
		})
	}
feed:
	for i := range keys {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return ctx.Err()
	}
}

// dial opens a tunnel; a hub busy taking in agents (503 with Retry-After, [limits]
// agent_handshakes_per_second) is asked again when it said, plus the connector's jitter.
func (f *fleet) dial(ctx context.Context, h http.Header) (*tunnel.Session, error) {
	for {
		dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		sess, _, err := tunnel.Dial(dctx, tunnel.DialConfig{URL: f.url, Header: h, HandshakeTimeout: 60 * time.Second, Direct: true})
		cancel()
		var hs *tunnel.HandshakeError
		if !errors.As(err, &hs) || hs.RetryAfter <= 0 || hs.StatusCode != http.StatusServiceUnavailable {
			return sess, err
		}
		wait := hs.RetryAfter + time.Duration(rand.Int64N(int64(max(time.Second, hs.RetryAfter/4))))
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (f *fleet) open(ctx context.Context, id, key string) error {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+key)
	h.Set("X-Agent-Id", id)
	sess, err := f.dial(ctx, h)
	if err != nil {
		return err
	}
	ctrl, err := sess.OpenStream()
	if err != nil {
		sess.Close()
		return err
	}
	w := protocol.NewFrameWriter(tunnel.TimeoutWriter{Stream: ctrl, Timeout: 60 * time.Second})
	hello := protocol.Hello{AgentID: id, Version: "agentload", Capability: protocol.CapabilityVersion, Instance: id,
		Backends: []protocol.Backend{{Name: "canned", Transport: "stdio", State: protocol.StateReady, Tools: f.tools}}}
	if err := w.WriteJSON(protocol.TypeHello, hello); err != nil {
		sess.Close()
		return fmt.Errorf("hello: %w", err)
	}
	_ = ctrl.SetReadDeadline(time.Now().Add(60 * time.Second))
	t, payload, err := protocol.ReadFrame(ctrl)
	_ = ctrl.SetReadDeadline(time.Time{})
	if err != nil {
		sess.Close()
		return fmt.Errorf("wait for welcome: %w", err)
	}
	if t != protocol.TypeWelcome {
		sess.Close()
		return fmt.Errorf("hub answered hello with %s: %s", t, payload)
	}
	f.mu.Lock()
	f.sess = append(f.sess, sess)
	f.mu.Unlock()
	f.wg.Go(func() {
		for {
			if _, _, err := protocol.ReadFrame(ctrl); err != nil {
				sess.Close()
				if !f.closing.Load() {
					f.ended.Add(1)
					f.redial(id, key)
				}
				return
			}
		}
	})
	return nil
}

// redial connects an agent whose tunnel ended again, as agent/connector does: after a
// random 1–5 s, retrying until it is welcomed or the fleet closes.
func (f *fleet) redial(id, key string) {
	f.wg.Go(func() {
		for !f.closing.Load() {
			time.Sleep(time.Second + time.Duration(rand.Int64N(int64(4*time.Second))))
			if f.closing.Load() || f.open(context.Background(), id, key) == nil {
				return
			}
		}
	})
}

// lost is the number of tunnels that ended before close.
func (f *fleet) lost() int64 { return f.ended.Load() }

func (f *fleet) close() {
	f.closing.Store(true)
	f.mu.Lock()
	for _, s := range f.sess {
		s.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
