package agents_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
	"github.com/mcp-gateway/mcp-gateway/shared/tunnel"
)

// A reconnect storm: many real agent tunnels dial at once a hub that admits 10 handshakes a
// second, 3 at a time. The others get 503 with Retry-After before any upgrade; coming back
// when told (with jitter, as agent/connector does), all get in, and the hub never has more
// than 3 handshakes in progress.
func TestReconnectStormAdmittedAtRate(t *testing.T) {
	const n, maxConc = 40, 3
	ks := keys{}
	for i := range n {
		ks[fmt.Sprintf("mcpgw_storm_%d", i)] = auth.Identity{KeyID: fmt.Sprintf("key_%d", i), Kind: "agent", AgentID: fmt.Sprintf("storm%d", i)}
	}
	h := startHub(t, "", func(o *agents.Options) {
		o.Keys = ks
		o.HandshakesPerSecond, o.MaxHandshakes = 10, maxConc
		o.OnChange = nil // n agents would fill the test's change channel
	})

	var peak atomic.Int64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			if v := int64(agents.HandshakesInProgress(h.reg)); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})

	var deferred atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs <- stormAgent(h.url(), fmt.Sprintf("mcpgw_storm_%d", i), fmt.Sprintf("storm%d", i), &deferred, t)
		})
	}
	close(start)
	wg.Wait()
	close(stop)
	sampler.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(h.reg.List()); got != n {
		t.Errorf("%d agents connected, want %d", got, n)
	}
	if deferred.Load() == 0 || h.reg.HandshakesDeferred() != deferred.Load() {
		t.Errorf("agents told to come back: %d (hub counted %d), want some and the same", deferred.Load(), h.reg.HandshakesDeferred())
	}
	if p := peak.Load(); p > maxConc {
		t.Errorf("%d handshakes in progress at once, cap %d", p, maxConc)
	}
	if got := agents.HandshakesInProgress(h.reg); got != 0 {
		t.Errorf("%d handshakes still counted in progress after all welcomes", got)
	}
	t.Logf("%d agents in, %d times told to come back, at most %d handshakes at once", n, deferred.Load(), peak.Load())
}

// stormAgent dials until welcomed, honouring Retry-After, and leaves its session open until
// the test ends.
func stormAgent(url, key, id string, deferred *atomic.Int64, t *testing.T) error {
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+key)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		sess, resp, err := tunnel.Dial(context.Background(), tunnel.DialConfig{URL: url, Header: hdr})
		var hs *tunnel.HandshakeError
		if errors.As(err, &hs) {
			if hs.StatusCode != http.StatusServiceUnavailable || hs.RetryAfter < time.Second || resp.Header.Get("Retry-After") == "" {
				return fmt.Errorf("%s: refused with %d, Retry-After %q: %v", id, hs.StatusCode, resp.Header.Get("Retry-After"), err)
			}
			deferred.Add(1)
			// Waiting out Retry-After (plus jitter) is what an agent does: the behaviour under test.
			time.Sleep(hs.RetryAfter + time.Duration(time.Now().UnixNano()%int64(time.Second)))
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		t.Cleanup(func() { _ = sess.Close() })
		return welcomed(sess, id)
	}
	return fmt.Errorf("%s: not admitted within 2 minutes", id)
}

func welcomed(sess *tunnel.Session, id string) error {
	ctrl, err := sess.OpenStream()
	if err != nil {
		return err
	}
	if err := protocol.WriteJSON(ctrl, protocol.TypeHello, hello(id)); err != nil {
		return err
	}
	_ = ctrl.SetReadDeadline(time.Now().Add(30 * time.Second))
	var w protocol.Welcome
	if err := protocol.ReadJSON(ctrl, protocol.TypeWelcome, &w); err != nil {
		return fmt.Errorf("%s: no welcome: %w", id, err)
	}
	return nil
}

// An abandoned handshake (upgraded, then no hello) holds its slot only until the hello
// timeout: then the next agent is admitted.
func TestAbandonedHandshakeFreesItsSlot(t *testing.T) {
	ks := keys{
		"mcpgw_idle_a": {KeyID: "key_a", Kind: "agent", AgentID: "a"},
		"mcpgw_idle_b": {KeyID: "key_b", Kind: "agent", AgentID: "b"},
	}
	h := startHub(t, "", func(o *agents.Options) {
		o.Keys, o.MaxHandshakes, o.HelloTimeout = ks, 1, 500*time.Millisecond
		o.OnChange = nil
	})
	dialKey := func(key string) (*tunnel.Session, error) {
		hdr := http.Header{}
		hdr.Set("Authorization", "Bearer "+key)
		sess, _, err := tunnel.Dial(context.Background(), tunnel.DialConfig{URL: h.url(), Header: hdr})
		if err == nil {
			t.Cleanup(func() { _ = sess.Close() })
		}
		return sess, err
	}
	if _, err := dialKey("mcpgw_idle_a"); err != nil { // upgraded, and silent from now on
		t.Fatal(err)
	}
	_, err := dialKey("mcpgw_idle_b")
	var hs *tunnel.HandshakeError
	if !errors.As(err, &hs) || hs.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second agent while the first holds the only slot: %v, want 503", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		sess, err := dialKey("mcpgw_idle_b")
		if err == nil {
			if err := welcomed(sess, "b"); err != nil {
				t.Fatal(err)
			}
			return
		}
		if !errors.As(err, &hs) || time.Now().After(deadline) {
			t.Fatalf("the abandoned handshake's slot was not freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling: the slot's release has no event outside the hub
	}
}
