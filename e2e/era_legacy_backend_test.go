package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// askLog is a reverse proxy in front of a streamable HTTP server that notes the id of
// every server→client request the server sends on its response streams.
type askLog struct {
	mu  sync.Mutex
	ids []string // as JSON text: 3 or "x"
}

func (l *askLog) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids)
}

// note notes the request in one SSE line, if it is the data of one.
func (l *askLog) note(line []byte) {
	data, ok := bytes.CutPrefix(line, []byte("data:"))
	if !ok {
		return
	}
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(bytes.TrimSpace(data), &m) == nil && m.ID != nil && m.Method != "" {
		l.mu.Lock()
		l.ids = append(l.ids, string(m.ID))
		l.mu.Unlock()
	}
}

// sseTap passes an SSE body through and hands each complete line to the log on the way.
type sseTap struct {
	io.ReadCloser
	l    *askLog
	line []byte
}

func (t *sseTap) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.line = append(t.line, p[:n]...)
	for {
		i := bytes.IndexByte(t.line, '\n')
		if i < 0 {
			break
		}
		t.l.note(t.line[:i])
		t.line = t.line[i+1:]
	}
	return n, err
}

func askProxy(t *testing.T, target string) (string, *askLog) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l := &askLog{}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	proxy.FlushInterval = -1
	proxy.ErrorLog = log.New(io.Discard, "", 0) // the hub closing its streams at the end is no news
	proxy.ModifyResponse = func(resp *http.Response) error {
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			resp.Body = &sseTap{ReadCloser: resp.Body, l: l}
		}
		return nil
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request body first: net/http's HTTP/1 server closes it once the response
		// headers go out, and the proxy's transport may still be sending it upstream when
		// the server answers with its SSE headers (it then drops the upstream connection).
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	return front.URL + u.Path, l
}

// startLegacyBackendHub starts go-sdk's conformance "everything" server in its stateful
// (legacy, session-based) mode and a hub with it as the hub-local backend "conf", behind a
// proxy that notes the server's request ids.
func startLegacyBackendHub(t *testing.T) (*hubtest.Hub, *askLog) {
	t.Helper()
	port := startOnFreePort(t, conformanceServer(t), func(port int) ([]string, []string) {
		return nil, []string{fmt.Sprintf("-http=127.0.0.1:%d", port), "-stateless=false"}
	}, func(port int) string { return fmt.Sprintf("http://127.0.0.1:%d/mcp", port) })
	front, asks := askProxy(t, fmt.Sprintf("http://127.0.0.1:%d/mcp", port))
	hub := hubtest.Start(t, func(c *config.Config) {
		c.Backends = []backend.Config{{Name: "conf", Transport: "http", URL: front}}
	})
	waitFor(t, 60*time.Second, "the conformance server's tools", func() bool {
		for _, tl := range hub.Server.Router.Table().Tools() {
			if strings.Contains(string(tl), `"conf__test_input_required_result_multi_round"`) {
				return true
			}
		}
		return false
	})
	return hub, asks
}

// modernResult is a stateless result as the tests read it.
type modernResult struct {
	ResultType    string                     `json:"resultType"`
	RequestState  string                     `json:"requestState"`
	InputRequests map[string]json.RawMessage `json:"inputRequests"`
	Content       []struct{ Text string }    `json:"content"`
	Meta          map[string]json.RawMessage `json:"_meta"`
}

func (r *modernResult) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

// callModern posts one stateless tools/call (2026-07-28) with the client capabilities caps
// and extra params, and returns the HTTP status, the result and the error.
func callModern(t *testing.T, hub *hubtest.Hub, id int, tool, caps, extra string) (int, *modernResult, *struct {
	Code    int
	Message string
}) {
	t.Helper()
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":{}%s,"_meta":{`+
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":%s,`+
		`"io.modelcontextprotocol/clientInfo":{"name":"e2e","version":"1"}}}}`, id, tool, extra, caps)
	req, _ := http.NewRequest(http.MethodPost, hub.MCPURL(), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+hub.OwnerKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", tool)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	// JSON, or SSE whose last data line is the reply.
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		var last []byte
		for _, line := range bytes.Split(raw, []byte("\n")) {
			if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
				last = bytes.TrimSpace(d)
			}
		}
		raw = last
	}
	var m struct {
		Result *modernResult
		Error  *struct {
			Code    int
			Message string
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: reply %q: %v", tool, raw, err)
	}
	return resp.StatusCode, m.Result, m.Error
}

// TestLegacyBackendBridgesModernClient: a stateless (2026-07-28) client through the hub to a
// legacy backend (go-sdk's stateful everything-server, which fulfils its tools'
// inputRequests with server→client requests of the 2025 era) gets what it would get from a
// modern backend: the backend sees the client's capabilities, not the hub's (refused
// -32021 / 400 without sampling, run with it); the requests the backend sends at once come
// back together in one input_required result, keyed by the backend's own request ids, and
// one retry answers them; a second round the backend asks by returning its own
// inputRequests is labelled input_required, not complete, and the retry with the
// backend's requestState finishes it. Every result names the hub in _meta.
func TestLegacyBackendBridgesModernClient(t *testing.T) {
	hub, asks := startLegacyBackendHub(t)
	hubInfo := func(what string, r *modernResult) {
		t.Helper()
		if !strings.Contains(string(r.Meta["io.modelcontextprotocol/serverInfo"]), `"name":"mcp-gateway"`) {
			t.Errorf("%s: _meta %v, want the hub's serverInfo", what, r.Meta)
		}
	}

	t.Run("client capabilities", func(t *testing.T) {
		status, res, rerr := callModern(t, hub, 1, "conf__test_missing_capability", `{}`, "")
		if rerr == nil || rerr.Code != -32021 || status != http.StatusBadRequest {
			t.Errorf("without sampling: status %d, %+v %+v; want the backend's -32021 and 400", status, res, rerr)
		}
		status, res, rerr = callModern(t, hub, 2, "conf__test_missing_capability", `{"sampling":{}}`, "")
		if rerr != nil || res == nil || len(res.Content) == 0 || !strings.Contains(res.Content[0].Text, "tool executed") {
			t.Fatalf("with sampling: status %d, %+v %+v", status, res, rerr)
		}
		if res.ResultType != "complete" {
			t.Errorf("resultType %q", res.ResultType)
		}
		hubInfo("a backend's result", res)
	})

	t.Run("several requests at once", func(t *testing.T) {
		before := len(asks.seen())
		caps := `{"sampling":{},"elicitation":{},"roots":{}}`
		_, res, rerr := callModern(t, hub, 3, "conf__test_input_required_result_multiple_inputs", caps, "")
		if rerr != nil || res == nil || res.ResultType != "input_required" {
			t.Fatalf("got %+v %+v, want input_required", res, rerr)
		}
		hubInfo("input_required", res)
		ids := asks.seen()[before:]
		var keys, methods []string
		answers := map[string]any{}
		for k, v := range res.InputRequests {
			var in struct{ Method string }
			_ = json.Unmarshal(v, &in)
			keys, methods = append(keys, k), append(methods, in.Method)
			switch in.Method {
			case "elicitation/create":
				answers[k] = map[string]any{"action": "accept", "content": map[string]any{"name": "Alice"}}
			case "sampling/createMessage":
				answers[k] = map[string]any{"role": "assistant", "model": "m", "content": map[string]any{"type": "text", "text": "Hello there!"}}
			case "roots/list":
				answers[k] = map[string]any{"roots": []any{map[string]any{"uri": "file:///tmp"}}}
			}
		}
		slices.Sort(keys)
		slices.Sort(ids)
		slices.Sort(methods)
		if !slices.Equal(methods, []string{"elicitation/create", "roots/list", "sampling/createMessage"}) {
			t.Fatalf("inputRequests %v: want the three requests together", res.InputRequests)
		}
		if !slices.Equal(keys, ids) {
			t.Errorf("keys %v, want the backend's request ids %v", keys, ids)
		}
		b, _ := json.Marshal(answers)
		_, res, rerr = callModern(t, hub, 4, "conf__test_input_required_result_multiple_inputs", caps,
			`,"inputResponses":`+string(b)+`,"requestState":"`+res.RequestState+`"`)
		if rerr != nil || res == nil || res.ResultType != "complete" || len(res.Content) == 0 ||
			!strings.Contains(res.Content[0].Text, "Hello there! Alice") {
			t.Errorf("after one retry: %+v %+v", res, rerr)
		}
	})

	t.Run("one request", func(t *testing.T) {
		// The tool names its request "user_name"; a legacy server sends it as elicitation/create
		// with an id only, and the id is the key the client answers (the conformance check
		// that wants "user_name" cannot pass through any bridge: known-failures-legacy.txt).
		const tool = "conf__test_input_required_result_elicitation"
		before := len(asks.seen())
		_, res, rerr := callModern(t, hub, 8, tool, `{"elicitation":{}}`, "")
		if rerr != nil || res == nil || res.ResultType != "input_required" || len(res.InputRequests) != 1 {
			t.Fatalf("got %v %+v, want input_required", res, rerr)
		}
		var key string
		for k := range res.InputRequests {
			key = k
		}
		if ids := asks.seen()[before:]; len(ids) != 1 || ids[0] != key {
			t.Errorf("key %q, want the backend's request id %v", key, ids)
		}
		_, res, rerr = callModern(t, hub, 9, tool, `{"elicitation":{}}`,
			`,"inputResponses":{"`+key+`":{"action":"accept","content":{"name":"Alice"}}},"requestState":"`+res.RequestState+`"`)
		if rerr != nil || res == nil || res.ResultType != "complete" || len(res.Content) == 0 || res.Content[0].Text != "Hello, Alice!" {
			t.Errorf("after the retry: %v %+v", res, rerr)
		}
	})

	t.Run("a second round", func(t *testing.T) {
		caps := `{"elicitation":{}}`
		const tool = "conf__test_input_required_result_multi_round"
		_, res, rerr := callModern(t, hub, 5, tool, caps, "")
		if rerr != nil || res == nil || res.ResultType != "input_required" || len(res.InputRequests) != 1 {
			t.Fatalf("round 1: %+v %+v", res, rerr)
		}
		var key string
		for k := range res.InputRequests {
			key = k
		}
		_, res, rerr = callModern(t, hub, 6, tool, caps,
			`,"inputResponses":{"`+key+`":{"action":"accept","content":{"name":"Alice"}}},"requestState":"`+res.RequestState+`"`)
		if rerr != nil || res == nil || res.ResultType != "input_required" || res.RequestState != "round=2;name=Alice" ||
			res.InputRequests["step2"] == nil {
			t.Fatalf("round 2: %+v %+v; want input_required with the backend's step2 and requestState", res, rerr)
		}
		hubInfo("the backend's input_required", res)
		_, res, rerr = callModern(t, hub, 7, tool, caps,
			`,"inputResponses":{"step2":{"action":"accept","content":{"color":"blue"}}},"requestState":"round=2;name=Alice"`)
		if rerr != nil || res == nil || res.ResultType != "complete" || len(res.Content) == 0 ||
			res.Content[0].Text != "Multi-round complete: Alice likes blue" {
			t.Errorf("round 3: %+v %+v", res, rerr)
		}
	})
}
