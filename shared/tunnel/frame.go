package tunnel

import (
	"encoding/binary"
	"io"

	"github.com/gorilla/websocket"
)

// yamuxTypeData is the yamux message type whose length field counts the body bytes that follow.
// For window updates, pings and go-aways the length field carries a value, not a body size.
const yamuxTypeData = 0

// frameConn is the io.ReadWriteCloser handed to yamux. yamux v0.1.2's send loop writes a frame
// as two calls, header then body (session.go, sendLoop); frameConn turns each complete yamux
// frame into one WebSocket message instead of two, halving messages and syscalls. It parses the
// 12-byte header to know where a frame ends, so it accepts any split of the byte stream. A frame's
// message stays open between yamux's calls, so nothing but yamux may write to the Conn.
type frameConn struct{ c *Conn }

func (f frameConn) Read(p []byte) (int, error)  { return f.c.Read(p) }
func (f frameConn) Write(p []byte) (int, error) { return f.c.writeFrames(p) }
func (f frameConn) Close() error                { return f.c.Close() }

// frameState is the yamux frame being written; guarded by Conn.wmu.
type frameState struct {
	hdr  [yamuxHeaderSize]byte
	hdrN int            // header bytes collected so far
	need uint32         // body bytes still to come once the header is complete
	w    io.WriteCloser // open message, nil while collecting a header
}

// frameBodyLen is how many body bytes follow the yamux header h.
func frameBodyLen(h []byte) uint32 {
	if h[1] != yamuxTypeData {
		return 0
	}
	return binary.BigEndian.Uint32(h[8:12])
}

// writeFrames streams p into WebSocket messages, one per yamux frame. The message is opened once
// the header is complete and closed (sent) once the body is complete, so a frame is never held
// back waiting for the next one.
func (c *Conn) writeFrames(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	f := &c.frame
	total := len(p)
	for len(p) > 0 {
		if f.w == nil {
			n := copy(f.hdr[f.hdrN:], p)
			f.hdrN += n
			p = p[n:]
			if f.hdrN < yamuxHeaderSize {
				break
			}
			if err := c.beginFrame(); err != nil {
				return 0, err
			}
		}
		n := min(uint32(len(p)), f.need)
		if n > 0 {
			if _, err := f.w.Write(p[:n]); err != nil {
				return 0, c.writeError(err)
			}
			f.need -= n
			p = p[n:]
		}
		if f.need == 0 {
			if err := c.endFrame(); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

// beginFrame opens a message and writes the collected header into it.
func (c *Conn) beginFrame() error {
	f := &c.frame
	c.applyWriteDeadline()
	w, err := c.ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return c.writeError(err)
	}
	if _, err := w.Write(f.hdr[:]); err != nil {
		return c.writeError(err)
	}
	f.w, f.hdrN, f.need = w, 0, frameBodyLen(f.hdr[:])
	return nil
}

// endFrame sends the finished message.
func (c *Conn) endFrame() error {
	f := &c.frame
	w := f.w
	f.w = nil
	if err := w.Close(); err != nil {
		return c.writeError(err)
	}
	return nil
}
