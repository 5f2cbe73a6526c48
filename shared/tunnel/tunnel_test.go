package tunnel

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestEchoBothDirections(t *testing.T) {
	agent, hubSess := connectPair(t, Config{})
	serveEcho(hubSess)
	serveEcho(agent)

	for name, opener := range map[string]*Session{"agent→hub": agent, "hub→agent": hubSess} {
		s, err := opener.OpenStream()
		if err != nil {
			t.Fatalf("%s: open: %v", name, err)
		}
		msg := []byte("hello over " + name)
		if err := WriteStream(s, msg, time.Second); err != nil {
			t.Fatalf("%s: write: %v", name, err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(s, got); err != nil {
			t.Fatalf("%s: read: %v", name, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("%s: got %q, want %q", name, got, msg)
		}
		_ = s.Close()
	}
}

func TestManyConcurrentStreams(t *testing.T) {
	agent, hubSess := connectPair(t, Config{})
	serveEcho(hubSess)

	const streams, size = 200, 32 << 10
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- echoOnce(agent, size, uint64(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// echoOnce sends size pseudo-random bytes on a new stream and checks the echo.
func echoOnce(sess *Session, size int, seed uint64) error {
	s, err := sess.OpenStream()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer s.Close()
	want := make([]byte, size)
	r := mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(want)
	go func() { _, _ = s.Write(want) }()
	got := make([]byte, size)
	if _, err := io.ReadFull(s, got); err != nil {
		return fmt.Errorf("stream %d: read: %w", s.StreamID(), err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("stream %d: echo differs", s.StreamID())
	}
	return nil
}

func TestLargeTransferIntegrity(t *testing.T) {
	agent, hubSess := connectPair(t, Config{})
	const total = 64 << 20

	got := make(chan [32]byte, 1)
	go func() {
		s, err := hubSess.AcceptStream()
		if err != nil {
			got <- [32]byte{}
			return
		}
		h := sha256.New()
		_, _ = io.Copy(h, s)
		var sum [32]byte
		copy(sum[:], h.Sum(nil))
		got <- sum
	}()

	s, err := agent.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(mrand.NewChaCha8([32]byte{7}), total), h)
	if n, err := io.CopyBuffer(s, src, make([]byte, 1<<20)); err != nil || n != total {
		t.Fatalf("copied %d bytes, err %v", n, err)
	}
	_ = s.Close() // FIN: the hub's io.Copy ends
	var want [32]byte
	copy(want[:], h.Sum(nil))
	select {
	case sum := <-got:
		if sum != want {
			t.Fatalf("checksum mismatch: got %x want %x", sum, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("transfer did not finish")
	}
}

// TestMessagesCarryWholeFrames checks on the wire that yamux's separate header and body
// writes arrive merged: every message holds whole yamux frames, never a part of one.
func TestMessagesCarryWholeFrames(t *testing.T) {
	c, s := wsPair(t)
	sess, err := newSession(NewConn(c, Config{}), true)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	go func() {
		st, err := sess.OpenStream()
		if err != nil {
			return
		}
		_, _ = st.Write(bytes.Repeat([]byte("x"), 100_000))
		_, _ = st.Write([]byte("tail"))
	}()
	var body int
	for body < 100_004 {
		typ, msg, err := s.ReadMessage()
		if err != nil {
			t.Fatalf("read message: %v", err)
		}
		if typ != websocket.BinaryMessage || len(msg) < yamuxHeaderSize {
			t.Fatalf("message type %d, %d bytes: not a yamux frame", typ, len(msg))
		}
		for rest := msg; len(rest) > 0; {
			if len(rest) < yamuxHeaderSize {
				t.Fatalf("message ends with %d bytes of a header", len(rest))
			}
			n := yamuxHeaderSize + int(frameBodyLen(rest))
			if len(rest) < n {
				t.Fatalf("message ends inside a frame: %d of %d bytes", len(rest), n)
			}
			body += n - yamuxHeaderSize
			rest = rest[n:]
		}
	}
}

// Frames queued together leave in one message: many streams' writes at once cost fewer
// messages than frames.
func TestQueuedFramesShareMessages(t *testing.T) {
	c, s := wsPair(t)
	conn := NewConn(c, Config{})
	defer conn.Close()
	frame := func(id byte) []byte {
		return append([]byte{0, yamuxTypeData, 0, 0, 0, 0, 0, id, 0, 0, 0, 3}, 'a', 'b', 'c')
	}
	// Hold the sender inside a message write, queue frames behind it, let it go.
	conn.wmu.Lock()
	for id := range byte(10) {
		if _, err := conn.writeFrames(frame(id)); err != nil {
			t.Fatal(err)
		}
	}
	conn.wmu.Unlock()
	var frames, messages int
	_ = s.SetReadDeadline(time.Now().Add(30 * time.Second))
	for frames < 10 {
		_, msg, err := s.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		messages++
		frames += len(msg) / len(frame(0))
	}
	if messages >= 10 {
		t.Errorf("10 queued frames took %d messages", messages)
	}
}

func TestConnWriteIsOneMessageAndReadSpansMessages(t *testing.T) {
	c, s := wsPair(t)
	conn := NewConn(c, Config{})
	defer conn.Close()
	for _, p := range []string{"ab", "", "cde"} {
		if _, err := conn.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		typ, msg, err := s.ReadMessage()
		if err != nil || typ != websocket.BinaryMessage || string(msg) != p {
			t.Fatalf("got type %d %q %v, want binary %q", typ, msg, err, p)
		}
	}
	for _, p := range []string{"12", "", "345"} {
		_ = s.WriteMessage(websocket.BinaryMessage, []byte(p))
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(conn, got); err != nil || string(got) != "12345" {
		t.Fatalf("read %q, %v", got, err)
	}
	_ = s.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	if _, err := conn.Read(got); err != io.EOF {
		t.Fatalf("after normal close: %v, want io.EOF", err)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	c, _ := wsPair(t)
	conn := NewConn(c, Config{})
	done := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Read block; no event to wait on
	start := time.Now()
	if err := conn.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked Read returned %v, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not unblock Read")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close+unblock took %s", d)
	}
}

func TestSessionCloseUnblocksStreamRead(t *testing.T) {
	agent, hubSess := connectPair(t, Config{})
	go func() { _, _ = hubSess.AcceptStream() }()
	s, err := agent.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 1))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	_ = agent.Close()
	select {
	case err := <-done:
		if !isClosedErr(err) {
			t.Fatalf("stream read returned %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("session Close did not unblock stream Read")
	}
	waitClosed(t, "hub", hubSess, 2*time.Second)
}

func TestTextFrameIsRejected(t *testing.T) {
	c, s := wsPair(t)
	conn := NewConn(s, Config{})
	defer conn.Close()
	_ = c.WriteMessage(websocket.TextMessage, []byte("{}"))
	_, err := conn.Read(make([]byte, 10))
	if !errors.Is(err, ErrTextFrame) {
		t.Fatalf("Read returned %v, want ErrTextFrame", err)
	}
	if _, err2 := conn.Read(make([]byte, 10)); !errors.Is(err2, ErrTextFrame) {
		t.Fatalf("second Read returned %v, want the same error", err2)
	}
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseUnsupportedData) {
		t.Fatalf("peer got %v, want close 1003", err)
	}
}

func TestTextFrameClosesHubSession(t *testing.T) {
	h := startHub(t, Config{}, nil)
	c, _, err := websocket.DefaultDialer.Dial(h.url(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess := h.next(t)
	_ = c.WriteMessage(websocket.TextMessage, []byte("hello"))
	waitClosed(t, "hub", sess, 2*time.Second)
}

func TestWriteStreamOK(t *testing.T) {
	agent, hubSess := connectPair(t, Config{})
	serveEcho(hubSess)
	s, err := agent.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1<<20)
	_, _ = rand.Read(b)
	go func() { _ = WriteStream(s, b, 5*time.Second) }()
	got := make([]byte, len(b))
	if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("echo mismatch, err %v", err)
	}
	if agent.IsClosed() {
		t.Fatal("session closed after a successful write")
	}
}
