package backend

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// versionServer is a streamable HTTP MCP server of both eras that answers the first
// server/discover with -32022 and the given supported versions, and records the methods it
// was asked. It speaks the stateless era when a later discover comes, and initialize
// otherwise, with the version the client asked for.
type versionServer struct {
	supported []string
	mu        sync.Mutex
	methods   []string
	initAsked string // protocolVersion of the initialize request
}

func (v *versionServer) asked() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Clone(v.methods)
}

func (v *versionServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"params"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "no", http.StatusMethodNotAllowed)
		return
	}
	v.mu.Lock()
	v.methods = append(v.methods, req.Method)
	discovers := strings.Count(strings.Join(v.methods, " "), "server/discover")
	if req.Method == "initialize" {
		v.initAsked = req.Params.ProtocolVersion
	}
	v.mu.Unlock()
	if req.ID == nil {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	var result string
	switch req.Method {
	case "server/discover":
		if discovers == 1 || !slices.Contains(v.supported, modernVersion) {
			data, _ := json.Marshal(map[string]any{"requested": modernVersion, "supported": v.supported})
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32022,"message":"unsupported protocol version","data":%s}}`, req.ID, data)
			return
		}
		result = `{"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}}`
	case "initialize":
		result = fmt.Sprintf(`{"protocolVersion":%q,"capabilities":{"tools":{}},"serverInfo":{"name":"v","version":"1"}}`, req.Params.ProtocolVersion)
	case "tools/list":
		result = `{"tools":[{"name":"hello","inputSchema":{"type":"object"}}]}`
	default:
		result = `{}`
	}
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, result)
}

// Regression (issue 10 item 21): a -32022 answer to server/discover made the backend fall back
// to initialize. 2026-07-28 says to retry with a version from the error's supported list;
// initialize is right only when the list holds legacy versions alone, and with none in common
// the backend fails with an error that names both lists.
func TestDiscoverUnsupportedVersionNegotiates(t *testing.T) {
	t.Run("retries discover with an advertised stateless version", func(t *testing.T) {
		v := &versionServer{supported: []string{"2027-01-01", modernVersion, "2025-11-25"}}
		srv := httptest.NewServer(v)
		t.Cleanup(srv.Close)
		b := start(t, Config{Name: "v", Transport: TransportHTTP, URL: srv.URL}, Options{})
		if got := b.Snapshot().ProtocolVersion; got != modernVersion || !b.sess.Load().modern {
			t.Fatalf("protocolVersion %q, want %s", got, modernVersion)
		}
		if slices.Contains(v.asked(), "initialize") {
			t.Errorf("initialize sent to a server that advertised %s: %v", modernVersion, v.asked())
		}
	})
	t.Run("initialize only when the server lists legacy versions alone", func(t *testing.T) {
		v := &versionServer{supported: []string{"2025-06-18", "2025-03-26"}}
		srv := httptest.NewServer(v)
		t.Cleanup(srv.Close)
		b := start(t, Config{Name: "v", Transport: TransportHTTP, URL: srv.URL}, Options{})
		if got := b.Snapshot().ProtocolVersion; got != "2025-06-18" || v.initAsked != "2025-06-18" {
			t.Fatalf("protocolVersion %q, initialize asked for %q; want 2025-06-18", got, v.initAsked)
		}
	})
	t.Run("no version in common: no initialize, a clear error", func(t *testing.T) {
		v := &versionServer{supported: []string{"2027-01-01"}}
		srv := httptest.NewServer(v)
		t.Cleanup(srv.Close)
		b := startNoWait(t, Config{Name: "v", Transport: TransportHTTP, URL: srv.URL}, Options{})
		waitFor(t, 60*time.Second, "the backend to fail", func() bool {
			snap := b.Snapshot()
			return snap.State != protocol.StateStarting && snap.Error != ""
		})
		if snap := b.Snapshot(); !strings.Contains(snap.Error, `no protocol version in common: the server supports ["2027-01-01"]`) {
			t.Errorf("state %s, error %q", snap.State, snap.Error)
		}
		if slices.Contains(v.asked(), "initialize") {
			t.Errorf("initialize sent to a server that speaks no legacy version: %v", v.asked())
		}
	})
}

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		data           string
		modern, legacy string
		err            string
	}{
		{`{"requested":"x","supported":["2026-07-28"]}`, modernVersion, "", ""},
		{`{"supported":["2024-11-05","2025-06-18"]}`, "", "2025-06-18", ""},
		{`{"supported":["2099-01-01"]}`, "", "", "no protocol version in common"},
		{`{"supported":[]}`, "", "", "lists no supported versions"},
		{`{"supported":"2026-07-28"}`, "", "", "lists no supported versions"},
		{``, "", "", "lists no supported versions"},
	} {
		m, l, err := negotiate(&jsonrpc.Error{Code: codeUnsupportedVersion, Message: "unsupported", Data: json.RawMessage(c.data)})
		if m != c.modern || l != c.legacy || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("negotiate(%s) = %q, %q, %v", c.data, m, l, err)
		}
	}
}

// FuzzNegotiate: any data of a -32022 error gives a version the gateway speaks or an error,
// never a panic.
func FuzzNegotiate(f *testing.F) {
	for _, seed := range []string{`{"requested":"2026-07-28","supported":["2026-07-28"]}`, `{"supported":["2025-03-26"]}`,
		`{"supported":null}`, `[]`, `null`, `{"supported":[1,2]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, l, err := negotiate(&jsonrpc.Error{Code: codeUnsupportedVersion, Data: data})
		switch {
		case err != nil:
			if m != "" || l != "" {
				t.Fatalf("error %v with versions %q %q", err, m, l)
			}
		case m != "":
			if m != modernVersion || l != "" {
				t.Fatalf("modern %q legacy %q", m, l)
			}
		case !slices.Contains(legacyVersions, l):
			t.Fatalf("legacy %q not spoken", l)
		}
	})
}

// Regression (issue 10 item 24): a strict legacy server that is slow to start lets the
// server/discover probe time out, then reads it and exits while initialize waits. The
// backend forgot that the server is legacy, probed again at the restart, and restarted it
// forever. It now keeps speaking initialize, and the server comes up.
func TestSlowStrictServerAfterProbeTimeout(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	script, _ := filepath.Abs("testdata/legacy_strict.py")
	// The probe gives up after 100 ms; the server reads its stdin after 1 s.
	b := start(t, Config{Name: "slowstrict", Transport: TransportStdio, Command: python, Args: []string{script, "1"}},
		Options{DiscoverTimeout: 100 * time.Millisecond})
	if v := b.Snapshot().ProtocolVersion; v != protocolVersion || !hasTool(b.Snapshot(), "hello") || !b.legacyOnly.Load() {
		t.Fatalf("protocolVersion %q, tools %v, legacyOnly %v", v, toolNames(b.Snapshot()), b.legacyOnly.Load())
	}
	if n := b.logs.count(`line="unknown method server/discover"`); n > 1 {
		t.Errorf("the server was probed %d times, want once", n)
	}
}
