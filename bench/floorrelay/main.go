// Command floorrelay is the least a Go relay from MCP's streamable HTTP to a stdio MCP server
// has to do, with none of a gateway's features: no authentication, policy, audit, sessions,
// limits or metrics. bench/callbench measures it beside the hub to show the floor this
// machine puts under any such relay, in one process or in two:
//
//   - single: HTTP in, the request's id rewritten, one line to the server's stdin, the answer
//     read back by id from its stdout, the id restored, HTTP out.
//   - front + back: the same across two processes joined by one WebSocket, as a hub and an
//     agent are. The front rewrites ids and keeps the HTTP side; the back only splices
//     WebSocket messages to stdin lines and stdout lines to WebSocket messages.
//
// It answers initialize itself (the server behind it is initialized once at start) and
// notifications with 202, and it finds the request's id with one JSON decode of the body.
// It is a benchmark tool: it trusts its client and its server.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"

	"github.com/mcp-gateway/mcp-gateway/shared/profile"
)

func main() {
	mode := flag.String("mode", "single", "single (HTTP → stdio), front (HTTP → WebSocket) or back (WebSocket → stdio)")
	listen := flag.String("listen", "127.0.0.1:0", "address to serve: /mcp for single and front, /ws for back")
	backURL := flag.String("back", "", "front: the back's WebSocket URL (ws://host:port/ws)")
	flag.Parse()
	cmdline := flag.Args()

	var h http.Handler
	switch *mode {
	case "single":
		up, err := startStdio(cmdline)
		if err != nil {
			log.Fatal(err)
		}
		h = &front{up: up}
	case "front":
		up, err := dialBack(*backURL)
		if err != nil {
			log.Fatal(err)
		}
		h = &front{up: up}
	case "back":
		b, err := newBack(cmdline)
		if err != nil {
			log.Fatal(err)
		}
		h = b
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
	stopProfile, err := profile.Start(os.LookupEnv) // callbench -profile, as for the hub and agent
	if err != nil {
		log.Fatal(err)
	}
	defer stopProfile()
	srv := &http.Server{Addr: *listen, Handler: h}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		<-sig
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		stopProfile()
		log.Fatal(err)
	}
}

// upstream sends one request line (its id already the relay's seq) and returns the answer.
type upstream interface {
	send(line []byte) error
	pending() *waiters
}

// waiters hands each answer to the call waiting for its id.
type waiters struct {
	mu   sync.Mutex
	next atomic.Int64
	m    map[int64]chan []byte
}

func newWaiters() *waiters { return &waiters{m: map[int64]chan []byte{}} }

func (w *waiters) add() (int64, chan []byte) {
	id, ch := w.next.Add(1), make(chan []byte, 1)
	w.mu.Lock()
	w.m[id] = ch
	w.mu.Unlock()
	return id, ch
}

// deliver hands line to the waiter of its id.
func (w *waiters) deliver(line []byte) {
	var m struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal(line, &m) != nil || m.ID == 0 {
		return // a notification or a request from the server: nobody waits for it
	}
	w.mu.Lock()
	ch := w.m[m.ID]
	delete(w.m, m.ID)
	w.mu.Unlock()
	if ch != nil {
		ch <- line
	}
}

// front serves MCP over HTTP and relays every request with an id to up.
type front struct{ up upstream }

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var out []byte
	switch {
	case len(m.ID) == 0:
		w.WriteHeader(http.StatusAccepted)
		return
	case m.Method == "initialize":
		out = fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"floorrelay","version":"1"}}}`, m.ID)
	default:
		id, ch := f.up.pending().add()
		if err := f.up.send(swapID(body, m.ID, strconv.AppendInt(nil, id, 10))); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		answer := <-ch
		out = swapID(answer, strconv.AppendInt(nil, id, 10), m.ID)
	}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.Header()["Content-Length"] = []string{strconv.Itoa(len(out))}
	_, _ = w.Write(out)
}

// swapID replaces the first "id":from in msg by "id":to.
func swapID(msg, from, to []byte) []byte {
	key := append([]byte(`"id":`), from...)
	i := bytes.Index(msg, key)
	if i < 0 {
		return msg
	}
	out := make([]byte, 0, len(msg)-len(from)+len(to))
	out = append(out, msg[:i+5]...)
	out = append(out, to...)
	return append(out, msg[i+len(key):]...)
}

// stdio is the server process: lines to its stdin, answers read from its stdout.
type stdio struct {
	mu  sync.Mutex
	in  io.Writer
	out *bufio.Reader
	w   *waiters
}

func startStdio(cmdline []string) (*stdio, error) {
	s, err := spawn(cmdline)
	if err != nil {
		return nil, err
	}
	s.w = newWaiters()
	go func() {
		for {
			line, err := s.out.ReadBytes('\n')
			if err != nil {
				log.Fatalf("server stdout: %v", err)
			}
			s.w.deliver(line)
		}
	}()
	return s, nil
}

// spawn starts the server and initializes it.
func spawn(cmdline []string) (*stdio, error) {
	if len(cmdline) == 0 {
		return nil, errors.New("give the stdio server's command after the flags")
	}
	cmd := exec.Command(cmdline[0], cmdline[1:]...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &stdio{in: in, out: bufio.NewReaderSize(out, 64<<10)}
	if _, err := io.WriteString(in, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"floorrelay","version":"1"}}}`+"\n"); err != nil {
		return nil, err
	}
	if _, err := s.out.ReadBytes('\n'); err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if _, err := io.WriteString(in, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		return nil, err
	}
	return s, nil
}

// send writes line and its newline in one write.
func (s *stdio) send(line []byte) error {
	buf := make([]byte, len(line)+1)
	copy(buf, line)
	buf[len(line)] = '\n'
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.in.Write(buf)
	return err
}

func (s *stdio) pending() *waiters { return s.w }

// wsUp is the front's side of the WebSocket: requests out, answers in by id.
type wsUp struct {
	mu sync.Mutex
	c  *websocket.Conn
	w  *waiters
}

func dialBack(url string) (*wsUp, error) {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	u := &wsUp{c: c, w: newWaiters()}
	go func() {
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				log.Fatalf("back: %v", err)
			}
			u.w.deliver(msg)
		}
	}()
	return u, nil
}

func (u *wsUp) send(line []byte) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.c.WriteMessage(websocket.TextMessage, line)
}

func (u *wsUp) pending() *waiters { return u.w }

// back splices one WebSocket to one server process.
type back struct{ cmdline []string }

func newBack(cmdline []string) (*back, error) {
	if len(cmdline) == 0 {
		return nil, errors.New("give the stdio server's command after the flags")
	}
	return &back{cmdline: cmdline}, nil
}

func (b *back) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	s, err := spawn(b.cmdline)
	if err != nil {
		log.Printf("start server: %v", err)
		return
	}
	var wmu sync.Mutex
	go func() {
		for {
			line, err := s.out.ReadBytes('\n')
			if err != nil {
				c.Close()
				return
			}
			wmu.Lock()
			err = c.WriteMessage(websocket.TextMessage, line)
			wmu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			return
		}
		if err := s.send(msg); err != nil {
			return
		}
	}
}
