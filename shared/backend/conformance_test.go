package backend

// Helpers for the tests of stateless-era backends: go-sdk's conformance everything-server
// as a real peer, and a recording proxy in front of it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// conformanceServer runs go-sdk's conformance everything-server over streamable HTTP, in its
// default stateless mode (the 2026-07-28 era) or stateful (legacy), and returns its URL.
func conformanceServer(t *testing.T, stateless bool) string {
	t.Helper()
	return startConformance(t, stateless).url
}

// conformance is a conformance server on a fixed address that a test can stop and start.
type conformance struct {
	t         *testing.T
	bin, addr string
	url       string
	stateless bool
	cmd       *exec.Cmd
}

func startConformance(t *testing.T, stateless bool) *conformance {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // the server takes an address; the backend retries until it listens
	c := &conformance{t: t, bin: conformanceBinary(t), addr: addr, url: "http://" + addr + "/mcp", stateless: stateless}
	c.launch()
	t.Cleanup(c.kill)
	return c
}

func (c *conformance) launch() {
	c.cmd = exec.Command(c.bin, "-http="+c.addr, fmt.Sprintf("-stateless=%t", c.stateless))
	c.cmd.Stdout, c.cmd.Stderr = os.Stderr, os.Stderr
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	waitFor(c.t, 10*time.Second, "the conformance server to listen", func() bool {
		conn, err := net.Dial("tcp", c.addr)
		if err == nil {
			conn.Close()
		}
		return err == nil
	})
}

func (c *conformance) kill() {
	if c.cmd != nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		c.cmd = nil
	}
}

// conformanceBinary builds (cached) go-sdk's conformance everything-server and returns its path.
func conformanceBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(root, "e2e", "conformance", "everything-server.sh"), "--build-only").Output()
	if err != nil {
		t.Fatalf("build the conformance everything-server: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// blockingSink reports when it is asked and answers only when the call's context ends.
type blockingSink struct{ asked chan struct{} }

func (s *blockingSink) Notify(*jsonrpc.Request) {}

func (s *blockingSink) Request(ctx context.Context, _ *jsonrpc.Request) (*jsonrpc.Response, error) {
	close(s.asked)
	<-ctx.Done()
	return nil, ctx.Err()
}

// recordingProxy forwards to target and remembers every request.
func recordingProxy(t *testing.T, target string) (string, *recorder) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	proxy.FlushInterval = -1
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	rec := &recorder{}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sn := seen{method: req.Method, path: req.URL.Path, header: req.Header.Clone()}
		if req.Method == http.MethodPost {
			body, _ := io.ReadAll(req.Body)
			req.Body = io.NopCloser(bytes.NewReader(body))
			var m struct {
				Method string
				Params struct {
					Name string
					Meta map[string]json.RawMessage `json:"_meta"`
				}
			}
			_ = json.Unmarshal(body, &m)
			sn.rpcMethod, sn.tool, sn.metaLogLevel = m.Method, m.Params.Name, string(m.Params.Meta[metaLogLevel])
			_, sn.metaClientInfo = m.Params.Meta[metaClientInfo]
			_ = json.Unmarshal(m.Params.Meta[metaProtocolVersion], &sn.metaVersion)
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, sn)
		rec.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(front.Close)
	return front.URL + u.Path, rec
}

// waitUpdated waits for a resources/updated event about uri.
func waitUpdated(t *testing.T, b *running, uri string) {
	t.Helper()
	deadline := time.After(60 * time.Second) // the server updates every 3 s; a starved machine is slower
	for {
		select {
		case ev := <-b.events:
			if ev.Method == "notifications/resources/updated" && strings.Contains(string(ev.Params), uri) {
				return
			}
		case <-deadline:
			t.Fatal("no resources/updated event for " + uri)
		}
	}
}
