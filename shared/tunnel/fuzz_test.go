package tunnel

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// wsServer hands out WebSocket pairs from one loopback server, cheap enough to use per fuzz input.
type wsServer struct {
	srv   *httptest.Server
	conns chan *websocket.Conn
}

func newWSServer(f *testing.F) *wsServer {
	w := &wsServer{conns: make(chan *websocket.Conn, 1)}
	up := websocket.Upgrader{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if ws, err := up.Upgrade(rw, r, nil); err == nil {
			w.conns <- ws
		}
	}))
	f.Cleanup(w.srv.Close)
	return w
}

func (w *wsServer) pair(t *testing.T) (c, s *websocket.Conn) {
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(w.srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s = <-w.conns
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return c, s
}

// chunks splits data into pieces of size n (one piece if n is 0).
func chunks(data []byte, n uint16) [][]byte {
	if n == 0 || len(data) == 0 {
		return [][]byte{data}
	}
	var out [][]byte
	for len(data) > 0 {
		k := min(int(n), len(data))
		out = append(out, data[:k])
		data = data[k:]
	}
	return out
}

// FuzzConn feeds arbitrary bytes, cut into binary messages of chunk bytes, to a hub-side yamux
// session over the adapter. Whatever arrives, nothing may panic, and the session must end once
// the peer closes.
func FuzzConn(f *testing.F) {
	w := newWSServer(f)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		c, s := w.pair(t)
		sess, err := newSession(NewConn(s, Config{}), false)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		go drainStreams(sess)
		for _, m := range chunks(data, chunk) {
			if err := c.WriteMessage(websocket.BinaryMessage, m); err != nil {
				break // the hub already gave up on us
			}
		}
		_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		select {
		case <-sess.CloseChan():
		case <-time.After(5 * time.Second):
			t.Fatal("session did not end after the peer closed")
		}
	})
}

func drainStreams(sess *Session) {
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			return
		}
		go func() { _, _ = io.Copy(io.Discard, st) }()
	}
}

// FuzzFrameWriter writes arbitrary bytes, in pieces of chunk bytes, through the yamux frame
// queue: the complete yamux frames in the input must arrive in order, every message carrying
// one or more whole frames (never a part of one), none over maxBatch unless it is one frame.
func FuzzFrameWriter(f *testing.F) {
	w := newWSServer(f)
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16) {
		c, s := w.pair(t)
		conn := NewConn(c, Config{})
		defer conn.Close()
		want := completeFrames(data)
		go func() {
			for _, p := range chunks(data, chunk) {
				if _, err := conn.writeFrames(p); err != nil {
					return
				}
			}
		}()
		_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
		for i := 0; i < len(want); {
			typ, msg, err := s.ReadMessage()
			if err != nil {
				t.Fatalf("frame %d of %d: %v", i, len(want), err)
			}
			if typ != websocket.BinaryMessage {
				t.Fatalf("message type %d", typ)
			}
			got := completeFrames(msg)
			if len(got) == 0 || sumLen(got) != len(msg) {
				t.Fatalf("message of %d bytes does not hold whole frames: %x", len(msg), msg)
			}
			if len(got) > 1 && len(msg) > maxBatch {
				t.Fatalf("message of %d frames and %d bytes, over maxBatch", len(got), len(msg))
			}
			for _, frame := range got {
				if i >= len(want) || !bytes.Equal(frame, want[i]) {
					t.Fatalf("frame %d: got %x", i, frame)
				}
				i++
			}
		}
	})
}

func sumLen(frames [][]byte) int {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	return n
}

// completeFrames splits data into yamux frames, dropping an incomplete tail.
func completeFrames(data []byte) [][]byte {
	var out [][]byte
	for len(data) >= yamuxHeaderSize {
		n := uint64(yamuxHeaderSize) + uint64(frameBodyLen(data))
		if uint64(len(data)) < n {
			break
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out
}

// FuzzDirectConn feeds arbitrary messages to an agent's end with direct streams on: message
// i starts with DirectMarker when bit i%8 of mask is set. Whatever arrives, nothing may panic,
// and the session (direct streams included) must end once the peer closes.
func FuzzDirectConn(f *testing.F) {
	w := newWSServer(f)
	f.Add(appendRecord(appendRecord(nil, 1, RecordData, 2, []byte("hi")), 1, RecordClose, 0, nil), uint16(0), uint8(0xff))
	f.Add(appendRecord(nil, 3, RecordData, 4, []byte("call")), uint16(5), uint8(0x01))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, mask uint8) {
		c, s := w.pair(t)
		sess, err := newSession(NewConn(s, Config{}), true)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		sess.Direct().Enable()
		go drainStreams(sess)
		go func() {
			for {
				st, err := sess.Direct().Accept()
				if err != nil {
					return
				}
				go func() { _, _ = io.Copy(io.Discard, st) }()
			}
		}()
		for i, m := range chunks(data, chunk) {
			if mask&(1<<(i%8)) != 0 {
				m = append([]byte{DirectMarker}, m...)
			}
			if err := c.WriteMessage(websocket.BinaryMessage, m); err != nil {
				break
			}
		}
		_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
		select {
		case <-sess.CloseChan():
		case <-time.After(5 * time.Second):
			t.Fatal("session did not end after the peer closed")
		}
		if _, err := sess.Direct().Accept(); err == nil {
			t.Fatal("Accept succeeded after the tunnel ended")
		}
	})
}
