package connector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// refusedError is the hub's Refusal frame.
type refusedError struct{ protocol.Refusal }

func (e *refusedError) Error() string {
	return fmt.Sprintf("hub refused the agent (%s): %s", e.Code, e.Message)
}

// decodeRefusal reads the payload of a Refusal frame.
func decodeRefusal(payload []byte) (*refusedError, error) {
	var r refusedError
	if err := protocol.Decode(protocol.TypeRefusal, payload, &r.Refusal); err != nil {
		return nil, err
	}
	return &r, nil
}

// errControlClosed means the hub ended the control stream (or the tunnel) without a refusal.
var errControlClosed = errors.New("hub closed the connection")

// session makes one connection and serves it until it ends. It returns how long the agent
// was welcomed (zero if it never was) and why the connection ended.
func (a *Agent) session(ctx context.Context) (time.Duration, error) {
	sess, err := a.dial(ctx)
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	ctrl, w, welcome, err := a.handshake(sess)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	a.log.Info("connected to the hub", "hub_version", welcome.HubVersion, "hub_capability", welcome.Capability)
	// A Reconnect while dialing asked for this very connection: forget it before the status
	// says connected, so that a Reconnect made after a caller saw "connected" is never lost.
	select {
	case <-a.kick:
	default:
	}
	a.st.Connected(welcome.HubVersion)
	err = a.serve(ctx, sess, ctrl, w, welcome.Capability)
	return time.Since(start), err
}

// dial opens the tunnel with the [agent] settings, within HandshakeTimeout.
func (a *Agent) dial(ctx context.Context) (*tunnel.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, a.opts.HandshakeTimeout)
	defer cancel() // the context bounds the dial only, not the session
	sess, _, err := tunnel.Dial(ctx, tunnel.DialConfig{
		URL:                a.cfg.GatewayURL,
		Header:             a.header,
		InsecureSkipVerify: a.cfg.TLSSkipVerify,
		ProxyURL:           a.cfg.ProxyURL,
		HandshakeTimeout:   a.opts.HandshakeTimeout,
		Direct:             protocol.CapabilityVersion >= protocol.CapabilityDirect,
		Config:             a.opts.Tunnel,
	})
	return sess, err
}

// handshake opens the control stream, sends hello and reads welcome or refusal.
func (a *Agent) handshake(sess *tunnel.Session) (*yamux.Stream, *protocol.FrameWriter, protocol.Welcome, error) {
	var welcome protocol.Welcome
	ctrl, err := sess.OpenStream()
	if err != nil {
		return nil, nil, welcome, fmt.Errorf("open control stream: %w", err)
	}
	a.out.reset()
	w := newFrameWriter(ctrl, a.opts.WriteTimeout)
	hello := protocol.Hello{
		AgentID:    a.cfg.AgentID,
		Version:    a.opts.Version,
		Capability: protocol.CapabilityVersion,
		Backends:   a.set.Snapshots(),
		Instance:   a.instance,
	}
	if err := w.WriteJSON(protocol.TypeHello, hello); err != nil {
		// The hub may have refused and closed before our hello went out; its refusal is
		// still buffered on the stream and says why, where the write error does not.
		if ref := bufferedRefusal(ctrl); ref != nil {
			return nil, nil, welcome, ref
		}
		return nil, nil, welcome, fmt.Errorf("send hello: %w", err)
	}
	t, payload, err := readFrameWithin(ctrl, a.opts.HandshakeTimeout)
	if err != nil {
		return nil, nil, welcome, fmt.Errorf("wait for welcome: %w", err)
	}
	switch t {
	case protocol.TypeWelcome:
		err = protocol.Decode(t, payload, &welcome)
	case protocol.TypeRefusal:
		var r *refusedError
		if r, err = decodeRefusal(payload); err == nil {
			err = r
		}
	default:
		err = fmt.Errorf("hub answered hello with a %s frame", t)
	}
	return ctrl, w, welcome, err
}

func readFrameWithin(ctrl *yamux.Stream, d time.Duration) (protocol.Type, []byte, error) {
	_ = ctrl.SetReadDeadline(time.Now().Add(d))
	defer ctrl.SetReadDeadline(time.Time{})
	return protocol.ReadFrame(ctrl)
}

// bufferedRefusal returns the refusal the hub left on the control stream, or nil.
func bufferedRefusal(ctrl *yamux.Stream) error {
	t, payload, err := readFrameWithin(ctrl, time.Second)
	if err != nil || t != protocol.TypeRefusal {
		return nil
	}
	r, err := decodeRefusal(payload)
	if err != nil {
		return nil
	}
	return r
}

// serve runs a welcomed session: updates and events up the control stream, refusals down
// it, and one goroutine per call stream. hubCap is the hub's capability version: from 3 call
// streams are lanes, from 4 they arrive as direct streams (yamux streams are still served).
// It returns when any of them ends or ctx does.
func (a *Agent) serve(ctx context.Context, sess *tunnel.Session, ctrl *yamux.Stream, w *protocol.FrameWriter, hubCap int) error {
	lanes := hubCap >= protocol.CapabilityLanes
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.out.setOpen(true)
	defer a.out.setOpen(false)
	ctrlErr := make(chan error, 1) // the control stream's end: a refusal explains everything else
	errc := make(chan error, 3)
	var wg sync.WaitGroup
	wg.Go(func() { ctrlErr <- readControl(ctrl) })
	wg.Go(func() { errc <- a.writeControl(ctx, w) })
	wg.Go(func() { errc <- a.acceptCalls(ctx, sess, &wg, lanes) })
	if hubCap >= protocol.CapabilityDirect && sess.Direct().Enabled() {
		wg.Go(func() { errc <- a.acceptDirect(ctx, sess.Direct(), &wg) })
	}
	var err error
	select {
	case err = <-ctrlErr:
		ctrlErr <- err
	case err = <-errc:
	case <-a.kick:
		err = errReconnectAsked
	case <-ctx.Done():
	}
	cancel()
	_ = sess.Close()
	wg.Wait()
	var refused *refusedError
	if cerr := <-ctrlErr; errors.As(cerr, &refused) {
		return cerr
	}
	return err
}

func (a *Agent) writeControl(ctx context.Context, w *protocol.FrameWriter) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.out.ready:
		}
		up, events, dropped := a.out.take()
		if dropped > 0 {
			a.log.Warn("backend events dropped: the hub is not reading them fast enough", "dropped", dropped)
		}
		if len(up.Backends) > 0 {
			if err := w.WriteJSON(protocol.TypeUpdate, up); err != nil {
				return fmt.Errorf("send update: %w", err)
			}
		}
		for _, ev := range events {
			if err := w.WriteJSON(protocol.TypeEvent, ev); err != nil {
				return fmt.Errorf("send event: %w", err)
			}
		}
	}
}

// readControl waits for what the hub says after welcome: a refusal (replaced, hub closing,
// revoked) or the end of the stream. Frame types it does not know are skipped.
func readControl(ctrl io.Reader) error {
	for {
		t, payload, err := protocol.ReadFrame(ctrl)
		if errors.Is(err, io.EOF) {
			return errControlClosed
		}
		if err != nil {
			return fmt.Errorf("control stream: %w", err)
		}
		if t == protocol.TypeRefusal {
			r, err := decodeRefusal(payload)
			if err != nil {
				return err
			}
			return r
		}
	}
}

// acceptCalls serves each stream the hub opens; with lanes (a hub of capability 3 or later)
// a stream carries one call after another.
func (a *Agent) acceptCalls(ctx context.Context, sess *tunnel.Session, wg *sync.WaitGroup, lanes bool) error {
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			return fmt.Errorf("accept call stream: %w", err)
		}
		wg.Go(func() { a.calls.serve(ctx, st, lanes) })
	}
}

// acceptDirect serves each direct stream the hub opens (a hub of capability 4 or later),
// as acceptCalls does a yamux stream: each is a lane.
func (a *Agent) acceptDirect(ctx context.Context, dm *tunnel.DirectMux, wg *sync.WaitGroup) error {
	for {
		st, err := dm.Accept()
		if err != nil {
			return fmt.Errorf("accept direct call stream: %w", err)
		}
		wg.Go(func() { a.calls.serve(ctx, st, true) })
	}
}
