package backend

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"testing"
	"testing/iotest"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// readAll frames input as the stdio reader does, with a tiny buffer so that long lines
// take the slow paths, and returns each line (or oversize) in order.
func readAll(t *testing.T, input []byte, limit int, oneByte bool) (lines [][]byte, overs []oversize) {
	t.Helper()
	var r io.Reader = bytes.NewReader(input)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	lr := &lineReader{r: bufio.NewReaderSize(r, 16), limit: limit}
	for {
		line, over, err := lr.next()
		if err != nil {
			if err != io.EOF {
				t.Fatalf("next: %v", err)
			}
			return lines, overs
		}
		if over != nil {
			f := *over.find
			overs = append(overs, oversize{size: over.size, find: &f})
			lines = append(lines, nil)
			continue
		}
		lines = append(lines, bytes.Clone(line))
	}
}

// FuzzLineReader: every line comes out once, in order, without its line end; a line over
// the limit comes out as its size and the id found in it, never as bytes.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\r\nnot json\n"), uint16(20), false)
	f.Add([]byte(`{"result":{"text":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"jsonrpc":"2.0","id":7}`+"\n{}\n"), uint16(30), true)
	f.Add([]byte("no newline at the end"), uint16(5), false)
	f.Fuzz(func(t *testing.T, input []byte, l uint16, oneByte bool) {
		limit := 1 + int(l)%300
		lines, overs := readAll(t, input, limit, oneByte)
		want := bytes.Split(input, []byte("\n"))
		if len(want[len(want)-1]) == 0 {
			want = want[:len(want)-1] // the input ended with a newline
		}
		if len(lines) != len(want) {
			t.Fatalf("%d lines, want %d", len(lines), len(want))
		}
		o := 0
		for i, w := range want {
			if len(w) > limit {
				var find mcp.IDFinder
				_, _ = find.Write(w)
				wid, wok := find.ID()
				id, ok := overs[o].find.ID()
				if lines[i] != nil || overs[o].size != len(w) || ok != wok || id != wid {
					t.Fatalf("line %d (%d bytes, limit %d): size %d id %v", i, len(w), limit, overs[o].size, id.Raw())
				}
				o++
				continue
			}
			if !bytes.Equal(lines[i], bytes.TrimSuffix(w, []byte("\r"))) {
				t.Fatalf("line %d: %q, want %q", i, lines[i], w)
			}
		}
	})
}

// FuzzDecodeLine: a line is a message, an error answer to the call it names, or nothing;
// never a panic, and never an answer to a line that is a request.
func FuzzDecodeLine(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":3,"result":{"content":[]}}`))
	f.Add([]byte(`{"result":{oops},"jsonrpc":"2.0","id":"a"}`))
	f.Add([]byte(`[{"jsonrpc":"2.0","method":"notifications/progress","params":{}}]`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":4,"method":"x","params":7}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		c := &stdioConn{name: "fuzz", log: slog.New(slog.DiscardHandler), stats: &lineStats{}}
		msg := c.decode(line)
		if _, err := mcp.ParseMessage(line); err == nil {
			if msg == nil {
				t.Fatal("a valid message was dropped")
			}
			return
		}
		if resp, ok := msg.(*jsonrpc.Response); ok && resp.Error != nil {
			var find mcp.IDFinder
			_, _ = find.Write(line)
			id, found := find.ID()
			if !found || find.IsRequest() || id != resp.ID || mcp.ErrorCode(resp.Error) != mcp.CodeBadBackendMessage {
				t.Fatalf("answered %v to %q", resp, line)
			}
		} else if msg == nil && len(c.queue) == 0 && c.stats.bad.Load() == 0 && !blank(line) {
			t.Fatalf("line %q neither used nor counted", line)
		}
	})
}
