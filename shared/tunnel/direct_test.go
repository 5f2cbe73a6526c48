package tunnel

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// directPair returns a tunnel whose direct streams are on at both ends: agent (acceptor) and
// hub (opener).
func directPair(t testing.TB, cfg Config) (agent, hubSess *Session) {
	t.Helper()
	h := startHub(t, cfg, nil)
	agent = dial(t, DialConfig{URL: h.url(), Config: cfg, Direct: true})
	hubSess = h.next(t)
	hubSess.Direct().Enable()
	return agent, hubSess
}

// echoDirect echoes every direct stream the agent accepts until the tunnel ends.
func echoDirect(sess *Session) {
	go func() {
		for {
			s, err := sess.Direct().Accept()
			if err != nil {
				return
			}
			go func() {
				defer s.Close()
				_, _ = io.Copy(s, s)
			}()
		}
	}()
}

// The record layout is wire format: a change breaks deployed agents.
func TestDirectRecordLayout(t *testing.T) {
	if DirectMarker != 0xD1 {
		t.Fatalf("DirectMarker = %#x", DirectMarker)
	}
	var b []byte
	b = append(b, DirectMarker)
	b = appendRecord(b, 0x01020304, RecordData, 3, []byte("abc"))
	b = appendRecord(b, 7, RecordWindow, 0x40000, nil)
	b = appendRecord(b, 7, RecordClose, 0, nil)
	b = appendRecord(b, 9, RecordReset, 0, nil)
	const want = "d1" +
		"01020304" + "00" + "00000003" + "616263" +
		"00000007" + "01" + "00040000" +
		"00000007" + "02" + "00000000" +
		"00000009" + "03" + "00000000"
	if got := hex.EncodeToString(b); got != want {
		t.Fatalf("layout\n got %s\nwant %s", got, want)
	}
	var got []string
	err := parseRecords(b[1:], func(r record) {
		got = append(got, fmt.Sprintf("%d/%s/%d/%s", r.id, r.kind, r.n, r.payload))
	})
	if err != nil || fmt.Sprint(got) != "[16909060/data/3/abc 7/window/262144/ 7/close/0/ 9/reset/0/]" {
		t.Fatalf("parsed %v, %v", got, err)
	}
	for name, bad := range map[string]string{
		"empty":            "",
		"short header":     "0000000100000000",
		"stream 0":         "000000000000000000",
		"unknown kind":     "000000010400000000",
		"overrun":          "00000001000000000561",
		"empty window":     "000000010100000000",
		"close with len":   "000000010200000001",
		"reset with len":   "000000010300000001",
		"trailing garbage": "00000001020000000000",
		"data over 1 MiB":  "000000010000100001",
	} {
		raw, _ := hex.DecodeString(bad)
		if err := parseRecords(raw, func(record) {}); !errors.Is(err, errMalformed) {
			t.Errorf("%s: %v, want a malformed message", name, err)
		}
	}
}

// Many concurrent streams, each many writes: every stream gets its own bytes back, in order.
func TestDirectStreamsConcurrentAndOrdered(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	echoDirect(agent)
	const streams, writes = 32, 50
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Go(func() {
			s, err := hubSess.Direct().Open()
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			var want []byte
			for j := range writes {
				want = fmt.Appendf(want, "s%03d-w%03d-%022d", i, j, i*j) // 32 bytes each
			}
			done := make(chan error, 1)
			go func() {
				var got []byte
				buf := make([]byte, 7) // reads cut across writes and records
				for len(got) < len(want) {
					n, err := s.Read(buf)
					got = append(got, buf[:n]...)
					if err != nil {
						done <- err
						return
					}
				}
				if !bytes.Equal(got, want) {
					done <- fmt.Errorf("stream %d: got %q", i, got)
					return
				}
				done <- nil
			}()
			for j := range writes {
				if _, err := s.Write(want[32*j : 32*(j+1)]); err != nil {
					errs <- err
					return
				}
			}
			_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
			if err := <-done; err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A payload larger than the peer's read limit and than the stream window travels whole,
// split into records and messages, with credit granted back on the way.
func TestDirectLargePayload(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	echoDirect(agent)
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	size := int(Config{}.withDefaults().readLimit()) * 3
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	go func() { _ = WriteStream(s, data, 30*time.Second) }()
	_ = s.SetReadDeadline(time.Now().Add(30 * time.Second))
	got := make([]byte, size)
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("payload changed on the way")
	}
}

// Close: the peer reads the buffered data, then io.EOF; the stream is forgotten at both ends
// once both closed.
func TestDirectCloseGivesEOF(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("last words")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after close: %v", err)
	}
	a, err := agent.Direct().Accept()
	if err != nil {
		t.Fatal(err)
	}
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(a)
	if err != nil || string(got) != "last words" {
		t.Fatalf("read %q, %v", got, err)
	}
	_ = a.Close()
	waitfor.Until(t, 5*time.Second, "both ends forget the stream", func() bool {
		return agent.Direct().Streams() == 0 && hubSess.Direct().Streams() == 0
	})
}

// A stream closed at one end that the peer never closes is reset and forgotten at both
// ends after the close wait (yamux's StreamCloseTimeout), not kept for the tunnel's life.
func TestDirectCloseWaitForgetsStream(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	hubSess.Direct().closeWait = 100 * time.Millisecond
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("call")); err != nil {
		t.Fatal(err)
	}
	a, err := agent.Direct().Accept() // and never closed
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	waitfor.Until(t, 10*time.Second, "both ends forget the stream", func() bool {
		return agent.Direct().Streams() == 0 && hubSess.Direct().Streams() == 0
	})
	if _, err := a.Write([]byte("late")); !errors.Is(err, ErrStreamReset) {
		t.Fatalf("agent write after the close wait: %v, want reset", err)
	}
}

// Reset fails the stream at both ends.
func TestDirectReset(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	a, err := agent.Direct().Accept()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2)
	if _, err := io.ReadFull(a, buf); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := a.Read(buf); !errors.Is(err, ErrStreamReset) {
		t.Fatalf("agent read after reset: %v", err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, ErrStreamReset) {
		t.Fatalf("agent write after reset: %v", err)
	}
	if _, err := s.Read(buf); !errors.Is(err, ErrStreamReset) {
		t.Fatalf("hub read after reset: %v", err)
	}
}

// A read deadline, set before or while a Read blocks, ends it with a timeout.
func TestDirectReadDeadline(t *testing.T) {
	_, hubSess := directPair(t, Config{})
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	_ = s.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := s.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read with a deadline: %v", err)
	}
	_ = s.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 1))
		done <- err
	}()
	_ = s.SetReadDeadline(time.Now()) // as the hub does to unblock a call's reader
	select {
	case err := <-done:
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("unblocked read: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a blocked Read ignored its new deadline")
	}
}

// A write that finds no credit (the peer does not read) times out, and WriteStream then
// closes the whole tunnel (GHSA-29qp-crvh-w22m).
func TestDirectWriteTimeoutClosesTunnel(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	err = WriteStream(s, make([]byte, 4<<20), 200*time.Millisecond)
	if !errors.Is(err, ErrStreamWriteTimeout) {
		t.Fatalf("WriteStream: %v", err)
	}
	waitClosed(t, "hub", hubSess, 5*time.Second)
	waitClosed(t, "agent", agent, 5*time.Second)
}

// When the tunnel dies every direct stream's Read and Write fails at once, and no goroutine
// is left behind.
func TestDirectTunnelDeathFailsAllStreams(t *testing.T) {
	before := runtime.NumGoroutine()
	agent, hubSess := directPair(t, Config{})
	const n = 20
	errs := make(chan error, 2*n)
	for range n {
		s, err := hubSess.Direct().Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write([]byte("call")); err != nil {
			t.Fatal(err)
		}
		go func() {
			_, err := s.Read(make([]byte, 1))
			errs <- err
		}()
		a, err := agent.Direct().Accept()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			_, _ = io.ReadFull(a, make([]byte, 4))
			_, err := a.Read(make([]byte, 1))
			errs <- err
		}()
	}
	_ = agent.Close()
	deadline := time.After(10 * time.Second)
	for range 2 * n {
		select {
		case err := <-errs:
			if err == nil {
				t.Fatal("a read succeeded on a dead tunnel")
			}
		case <-deadline:
			t.Fatal("streams still blocked after the tunnel died")
		}
	}
	_ = hubSess.Close()
	waitfor.Until(t, 10*time.Second, "goroutines back to where they were", func() bool {
		return runtime.NumGoroutine() <= before+2 // httptest's server keeps its own
	})
	if _, err := hubSess.Direct().Open(); err == nil {
		t.Error("Open succeeded on a dead tunnel")
	}
}

// A peer that sends beyond its credit gets the stream reset; the receiver buffers nothing
// beyond the window.
func TestDirectOverCreditRefused(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, maxRecordPayload)
	for sent := 0; sent <= directInitialCred; sent += len(chunk) {
		// Bypass Write's credit accounting, as a misbehaving peer would.
		if err := hubSess.Direct().send(s, RecordData, uint32(len(chunk)), chunk, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing reads on the agent's end, so its credit stays the initial one.
	_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := s.Read(make([]byte, 1)); !errors.Is(err, ErrStreamReset) {
		t.Fatalf("hub's stream: %v, want reset", err)
	}
	a, err := agent.Direct().Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, ErrStreamReset) {
		t.Fatalf("agent's stream: %v, want reset", err)
	}
	if n := agent.Direct().Streams(); n != 0 {
		t.Errorf("the agent still holds %d streams", n)
	}
	if agent.IsClosed() {
		t.Error("the tunnel closed; only the stream should be reset")
	}
}

// A direct message to an end whose direct streams are off ends the tunnel, and says why.
func TestDirectMessageWhenOffClosesTunnel(t *testing.T) {
	var logs syncbuf.Buffer
	h := startHub(t, Config{}, nil)
	cfg := Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	agent := dial(t, DialConfig{URL: h.url(), Config: cfg}) // an agent of capability 3: direct off
	hubSess := h.next(t)
	hubSess.Direct().Enable() // a hub that (wrongly) thinks it speaks 4
	s, err := hubSess.Direct().Open()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = s.Write([]byte("call"))
	waitClosed(t, "agent", agent, 5*time.Second)
	waitfor.Until(t, 5*time.Second, "the reason logged", func() bool {
		return strings.Contains(logs.String(), "direct streams are off on this tunnel")
	})
}

// yamux streams keep working beside direct streams on one tunnel.
func TestDirectAndYamuxSideBySide(t *testing.T) {
	agent, hubSess := directPair(t, Config{})
	echoDirect(agent)
	serveEcho(agent)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				if err := echoOnce(hubSess, 100<<10, uint64(i)); err != nil {
					t.Error(err)
				}
				return
			}
			s, err := hubSess.Direct().Open()
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			msg := bytes.Repeat([]byte{byte(i)}, 100<<10)
			go func() { _ = WriteStream(s, msg, 10*time.Second) }()
			_ = s.SetReadDeadline(time.Now().Add(10 * time.Second))
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, msg) {
				t.Errorf("direct echo %d: %v", i, err)
			}
		})
	}
	wg.Wait()
}

// FuzzDirectRecords: any message body either reads as records that re-encode to exactly
// the same bytes, or is refused as malformed; nothing panics.
func FuzzDirectRecords(f *testing.F) {
	f.Add(appendRecord(nil, 1, RecordData, 3, []byte("abc")))
	f.Add(appendRecord(appendRecord(nil, 7, RecordWindow, 1<<18, nil), 7, RecordClose, 0, nil))
	f.Add([]byte{0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		var again []byte
		err := parseRecords(body, func(r record) {
			if r.kind == RecordData && int(r.n) != len(r.payload) {
				t.Fatalf("data record of %d bytes with a %d-byte payload", r.n, len(r.payload))
			}
			again = appendRecord(again, r.id, r.kind, r.n, r.payload)
		})
		if err != nil && !errors.Is(err, errMalformed) {
			t.Fatalf("refused otherwise than as malformed: %v", err)
		}
		if err == nil && !bytes.Equal(again, body) {
			t.Fatalf("re-encoded %x, parsed from %x", again, body)
		}
	})
}

// Regression: a record the tunnel's reader must answer (here the credit of data that
// arrived for a stream closed at this end) was sent like a writer's, waiting while the
// pending records were over their bound. With both ends' readers waiting so, neither end
// read again. The reader now only queues it. No socket is needed: the sender is stuck by
// construction (sending, pending full).
func TestDirectReaderNeverWaitsToSend(t *testing.T) {
	m := newDirectMux(&Conn{cfg: Config{}.withDefaults()}, false)
	m.pend = make([]byte, maxDirectPending)
	m.sending = true
	s := m.newStream(7)
	s.lclosed.Store(true)
	m.streams[7] = s
	done := make(chan error, 1)
	go func() { done <- s.received(make([]byte, 200<<10)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the reader waited for the pending records to drain")
	}
	m.pmu.Lock()
	defer m.pmu.Unlock()
	if len(m.pend) <= maxDirectPending {
		t.Fatal("no window record was queued for the discarded data")
	}
}
