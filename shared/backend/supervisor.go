package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Run supervises the server until ctx is done: it connects, initializes and lists, and after
// every failure restarts with exponential backoff and full jitter. It never gives up. When
// ctx ends it stops the server (for stdio it kills the process group) and returns nil.
func (b *Backend) Run(ctx context.Context) error {
	if !b.running.CompareAndSwap(false, true) {
		return fmt.Errorf("backend %q: already running", b.cfg.Name)
	}
	defer b.running.Store(false)
	if b.httpBase != nil {
		defer b.httpBase.CloseIdleConnections()
	}
	attempt := 0
	for {
		b.setState(protocol.StateStarting, "")
		upSince, err := b.runOnce(ctx)
		if ctx.Err() != nil {
			b.setState(protocol.StateStopped, "")
			return nil
		}
		err = b.scrub(err)
		if b.needsLogin() {
			if !b.waitLogin(ctx) {
				b.setState(protocol.StateStopped, "")
				return nil
			}
			attempt = 0
			continue
		}
		b.log.Warn("backend failed; restarting", "error", err)
		b.setFailed(err.Error())
		if !upSince.IsZero() && time.Since(upSince) >= b.opts.StableAfter {
			attempt = 0
		}
		delay := backoff(b.opts.BackoffBase, b.opts.BackoffCap, attempt)
		attempt++
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			b.setState(protocol.StateStopped, "")
			return nil
		case <-t.C:
		}
	}
}

// needsLogin reports whether the last session ended because the server wants a token the
// backend does not have.
func (b *Backend) needsLogin() bool { return b.auth != nil && b.auth.NeedsLogin() != "" }

// waitLogin shows the needs_login state until new credentials are stored (another process
// wrote them: looked for every LoginPoll; or Wake). It returns false when ctx ends first.
func (b *Backend) waitLogin(ctx context.Context) bool {
	msg := b.auth.NeedsLogin() + "; log in with: " + fmt.Sprintf(b.opts.LoginHint, b.cfg.Name)
	b.log.Warn("backend needs an OAuth login", "reason", msg)
	b.setState(protocol.StateNeedsLogin, msg)
	t := time.NewTicker(b.opts.LoginPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-b.wake:
		case <-t.C:
		}
		if b.auth.LoginAvailable(ctx) {
			b.log.Info("new OAuth credentials; connecting")
			return true
		}
	}
}

// runOnce runs one session from start to end. It returns when the session was ready (zero if
// it never was) and why it ended.
func (b *Backend) runOnce(ctx context.Context) (time.Time, error) {
	s, err := b.start(ctx)
	if err != nil {
		return time.Time{}, err
	}
	upSince := time.Now()
	select {
	case <-s.done:
	case <-ctx.Done():
	}
	exitErr := s.shutdown()
	b.sess.CompareAndSwap(s, nil)
	return upSince, b.describe(s, s.failErr, exitErr) // failErr is set once shutdown returns
}

// start connects and initializes a new session and publishes it as ready.
func (b *Backend) start(ctx context.Context) (*session, error) {
	s := newSession(b, ctx)
	// The timer bounds connect, initialize and the first lists; it tears the session down
	// if they take too long.
	limit := b.cfg.startupTimeout()
	timer := time.AfterFunc(limit, func() {
		s.fail(fmt.Errorf("not started within %s (startup_timeout): no answer to initialize, or the first lists", limit))
		s.cancel()
	})
	defer timer.Stop()
	var err error
	switch b.cfg.Transport {
	case TransportStdio:
		s.conn, s.proc, err = b.dialStdio(s.ctx)
	default:
		s.conn, s.hdr, err = b.dialHTTP(s.ctx)
	}
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.spawn(s.readLoop)
	init, ls, err := s.handshake(s.ctx)
	if err == nil && !timer.Stop() {
		err = errors.New("handshake timed out")
	}
	if err != nil {
		if s.isDone() {
			err = s.failErr
		}
		return nil, b.describe(s, err, s.shutdown())
	}
	switch {
	case s.modern:
		s.listen = newListening(b, init.Capabilities)
		s.spawn(s.listenLoop)
	case s.hdr != nil && b.cfg.Transport == TransportHTTP:
		s.spawn(s.listenStandalone)
	}
	s.spawn(s.relistLoop)
	b.setReady(s, init, ls)
	return s, nil
}

func (s *session) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// describe explains a session's end for the snapshot: the cause, and for stdio how the
// process exited and the last thing it wrote to stderr.
func (b *Backend) describe(s *session, cause, exitErr error) error {
	if s.proc == nil {
		return cause
	}
	msg := cause.Error()
	if errors.Is(cause, io.EOF) {
		msg = "server exited"
	}
	if exitErr != nil && !errors.Is(cause, errStopped) {
		msg += fmt.Sprintf(" (%v)", exitErr)
	}
	if last := s.proc.stderr.lastLine(); last != "" {
		msg += "; last stderr line: " + last
	}
	return &stateError{msg: msg, cause: cause}
}

// backoff is exponential with full jitter: uniform in [0, min(capDelay, base·2^attempt)).
func backoff(base, capDelay time.Duration, attempt int) time.Duration {
	d := capDelay
	if attempt < 30 && base<<attempt < capDelay {
		d = base << attempt
	}
	return rand.N(d) + 1
}

func (b *Backend) setState(state, errText string) {
	b.publish(nil, func(snap *protocol.Backend) {
		snap.State = state
		if errText != "" || state != protocol.StateStarting {
			snap.Error = errText // a restart keeps the last failure visible
		}
	})
}

// setFailed publishes a failed session that the supervisor is about to restart: state
// failed, and the restart counted with its time and cause.
func (b *Backend) setFailed(errText string) {
	at := time.Now().UnixMilli()
	b.publish(nil, func(snap *protocol.Backend) {
		snap.State, snap.Error = protocol.StateFailed, errText
		snap.Restarts++
		snap.LastRestart, snap.LastError = at, errText
	})
}

// setReady makes s the current session and publishes its lists.
func (b *Backend) setReady(s *session, init *initResult, ls *lists) {
	b.pubMu.Lock()
	defer b.pubMu.Unlock()
	if s.isDone() {
		return // died already; runOnce reports it
	}
	b.sess.Store(s)
	next := *b.snap.Load()
	next.State, next.Error = protocol.StateReady, ""
	next.ServerInfo, next.Capabilities, next.Instructions = init.ServerInfo, init.Capabilities, init.Instructions
	next.ProtocolVersion = init.ProtocolVersion
	ls.apply(kindTools|kindResources|kindPrompts, &next)
	b.scrubSnapshot(&next)
	b.snap.Store(&next)
	if b.opts.OnChange != nil {
		b.opts.OnChange(next)
	}
}
