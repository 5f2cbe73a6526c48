package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// seen is one request that passed the recording proxy.
type seen struct {
	method, path, rpcMethod string
	header                  http.Header
	metaVersion             string // params._meta's protocol version, if any
	metaLogLevel            string // params._meta's log level, raw JSON; "" without one
	metaClientInfo          bool   // params._meta has the clientInfo
	tool                    string // params.name
}

// recorder is a reverse proxy in front of a real server that remembers every request.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seen(nil), r.reqs...)
}

// httpServer is server-everything in an HTTP mode on a fixed port, which the test can
// stop and start again.
type httpServer struct {
	t      *testing.T
	script string
	mode   string // streamableHttp | sse
	port   int
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has exited and been reaped
}

func (h *httpServer) launch() {
	c := exec.Command("node", h.script, h.mode)
	c.Env = []string{"PORT=" + strconv.Itoa(h.port), "PATH=" + os.Getenv("PATH")}
	if err := c.Start(); err != nil {
		h.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = c.Wait(); close(exited) }()
	h.mu.Lock()
	h.cmd, h.exited = c, exited
	h.mu.Unlock()
}

func (h *httpServer) kill() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd != nil {
		_ = h.cmd.Process.Kill()
		<-h.exited
		h.cmd = nil
	}
}

// listening waits until the server accepts connections on its port (true) or exits first
// (false: on a busy machine another process may take the port between the test's pick and
// node's bind). The deadline is generous: node starts slowly on a loaded machine.
func (h *httpServer) listening() bool {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-h.exited:
			return false
		default:
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(h.port)); err == nil {
			c.Close()
			return true
		}
		select {
		case <-h.exited:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	h.t.Fatalf("server-everything (%s) did not listen on port %d within 60 s", h.mode, h.port)
	return false
}

// everythingHTTP starts server-everything in an HTTP mode on a free port behind a recording
// proxy and returns the proxy's base URL.
func everythingHTTP(t *testing.T, mode string) (string, *recorder, *httpServer) {
	t.Helper()
	srv := needNode(t)
	h := &httpServer{t: t, script: srv.everything, mode: mode}
	t.Cleanup(h.kill)
	for attempt := 1; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		h.port = l.Addr().(*net.TCPAddr).Port
		l.Close() // node cannot take over a listener
		h.launch()
		if h.listening() {
			break
		}
		h.kill()
		if attempt == 5 {
			t.Fatalf("server-everything (%s) exited before listening, 5 times", mode)
		}
	}
	target, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(h.port))
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	proxy.ErrorLog = log.New(io.Discard, "", 0) // the test kills the server on purpose
	rec := &recorder{}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s := seen{method: req.Method, path: req.URL.Path, header: req.Header.Clone()}
		if req.Method == http.MethodPost {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			var m struct{ Method string }
			_ = json.Unmarshal(body, &m)
			s.rpcMethod = m.Method
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, s)
		rec.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(front.Close)
	return front.URL, rec, h
}

func TestStreamableHTTP(t *testing.T) {
	base, rec, server := everythingHTTP(t, "streamableHttp")
	b := start(t, Config{Name: "web", Transport: TransportHTTP, URL: base + "/mcp",
		Headers: map[string]string{"X-Gateway-Test": "yes"}}, Options{BackoffBase: 50 * time.Millisecond})

	if !hasTool(b.Snapshot(), "echo") {
		t.Fatalf("tools: %v", toolNames(b.Snapshot()))
	}
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, "h1", "echo", map[string]any{"message": "over http"}, nil)})
	if got := resultText(t, resp, err); !strings.Contains(got, "over http") || resp.ID.Raw() != "h1" {
		t.Errorf("echo: %q id %v", got, resp.ID.Raw())
	}

	sink := newSink(nil)
	resp, err = b.Call(context.Background(), &Call{Request: toolCall(t, 2, "trigger-long-running-operation",
		map[string]any{"duration": 0.2, "steps": 2}, map[string]any{"progressToken": "ht"}), Sink: sink})
	resultText(t, resp, err)
	if len(sink.notes) != 2 || !strings.Contains(string((<-sink.notes).Params), `"progressToken":"ht"`) {
		t.Errorf("progress over the POST's stream: %d notifications", len(sink.notes))
	}

	// Resource updates come through the standalone GET stream, which go-sdk leaves to us.
	expectResourceUpdate(t, b)

	checkHeaders(t, rec.all())

	// The server going away is noticed through the GET stream, and the backend comes back
	// once the server does.
	server.kill()
	waitFor(t, 10*time.Second, "the session to be lost", func() bool { return b.sess.Load() == nil })
	if _, err := b.Call(context.Background(), &Call{Request: toolCall(t, 3, "echo", map[string]any{"message": "x"}, nil)}); err == nil {
		t.Error("call succeeded with the server down")
	}
	server.launch()
	b.waitReady(t)
	resp, err = b.Call(context.Background(), &Call{Request: toolCall(t, 4, "echo", map[string]any{"message": "again"}, nil)})
	if got := resultText(t, resp, err); !strings.Contains(got, "again") {
		t.Errorf("echo after the server came back: %q", got)
	}
}

func checkHeaders(t *testing.T, reqs []seen) {
	t.Helper()
	var gets, posts int
	for _, r := range reqs {
		if r.header.Get("X-Gateway-Test") != "yes" {
			t.Errorf("%s %s without the configured header", r.method, r.path)
		}
		switch r.method {
		case http.MethodGet:
			gets++
		case http.MethodPost:
			posts++
			if r.rpcMethod == "server/discover" {
				continue // the era probe, before any session
			}
			if r.rpcMethod != "initialize" && r.header.Get("Mcp-Protocol-Version") != protocolVersion {
				t.Errorf("POST %s: Mcp-Protocol-Version %q", r.rpcMethod, r.header.Get("Mcp-Protocol-Version"))
			}
			if r.rpcMethod != "initialize" && r.header.Get("Mcp-Session-Id") == "" {
				t.Errorf("POST %s without Mcp-Session-Id", r.rpcMethod)
			}
		}
	}
	if gets == 0 || posts == 0 {
		t.Errorf("%d GETs and %d POSTs seen", gets, posts)
	}
}

func TestSSE(t *testing.T) {
	base, rec, _ := everythingHTTP(t, "sse")
	b := start(t, Config{Name: "legacy", Transport: TransportSSE, URL: base + "/sse",
		Headers: map[string]string{"X-Gateway-Test": "yes"}}, Options{BackoffBase: 50 * time.Millisecond})
	resp, err := b.Call(context.Background(), &Call{Request: toolCall(t, 1, "echo", map[string]any{"message": "over sse"}, nil)})
	if got := resultText(t, resp, err); !strings.Contains(got, "over sse") {
		t.Errorf("echo: %q", got)
	}
	sink := newSink(func(*jsonrpc.Request) (*jsonrpc.Response, error) {
		return &jsonrpc.Response{Result: json.RawMessage(`{"role":"assistant","content":{"type":"text","text":"via sse"},"model":"m"}`)}, nil
	})
	resp, err = b.Call(context.Background(), &Call{Request: toolCall(t, 2, "trigger-sampling-request", map[string]any{"prompt": "p"}, nil), Sink: sink})
	if got := resultText(t, resp, err); !strings.Contains(got, "via sse") {
		t.Errorf("sampling: %q", got)
	}
	for _, r := range rec.all() {
		if r.header.Get("X-Gateway-Test") != "yes" {
			t.Errorf("%s %s without the configured header", r.method, r.path)
		}
	}
}

// An HTTP backend that cannot be reached is failed, and calls fail at once with ErrNotReady.
func TestHTTPUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	b := New(Config{Name: "nowhere", Transport: TransportHTTP, URL: "http://" + addr + "/mcp"},
		Options{BackoffBase: 10 * time.Millisecond, BackoffCap: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 5*time.Second, "state failed", func() bool { return b.Snapshot().State == "failed" })
	if e := b.Snapshot().Error; !strings.Contains(e, "server/discover") || !strings.Contains(e, "connection refused") {
		t.Errorf("error text %q", e)
	}
	began := time.Now()
	_, err = b.Call(context.Background(), &Call{Request: toolCall(t, 1, "echo", nil, nil)})
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), `"nowhere"`) || time.Since(began) > 100*time.Millisecond {
		t.Errorf("got %v after %s", err, time.Since(began))
	}
}
