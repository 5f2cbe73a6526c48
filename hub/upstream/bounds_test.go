package upstream_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/hubtest"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// waitTools waits until the hub routes every named tool.
func waitTools(t *testing.T, h *hubtest.Hub, names ...string) {
	t.Helper()
	waitFor(t, "tools "+strings.Join(names, ", "), func() bool {
		tbl := h.Server.Router.Table()
		for _, n := range names {
			if _, ok := tbl.Tool(n); !ok {
				return false
			}
		}
		return true
	})
}

// A tool that never answers, as a hub-local backend with its own timeout: the client gets
// CodeCallTimeout naming the backend and the limit, the server sees its call cancelled,
// and another client's calls to a healthy backend work meanwhile.
func TestTimeoutHubLocal(t *testing.T) {
	noLeaks(t)
	slow, healthy := newToolServer(t), newToolServer(t)
	h := startHub(t, []backend.Config{
		{Name: "slow", Transport: backend.TransportHTTP, URL: slow.URL, Timeout: 700 * time.Millisecond},
		{Name: "healthy", Transport: backend.TransportHTTP, URL: healthy.URL},
	}, nil)
	waitTools(t, h, "slow__hang", "healthy__ok")
	a, b := connect(t, h), connect(t, h)
	got := make(chan *jsonrpc.Error, 1)
	go func() {
		_, we, _ := call(ctxFor(t, 60*time.Second), a, "slow__hang")
		got <- we
	}()
	mustOK(t, b, "healthy__ok")
	we := receive(t, got, "the hanging call's answer")
	if we == nil || we.Code != mcp.CodeCallTimeout || !strings.Contains(we.Message, `backend "slow"`) || !strings.Contains(we.Message, "700ms") {
		t.Fatalf("hanging call: got %v, want code %d naming backend \"slow\" and 700ms", we, mcp.CodeCallTimeout)
	}
	if tool := receive(t, slow.cancelled, "the server to see the call cancelled"); tool != "hang" {
		t.Fatalf("cancelled %q", tool)
	}
	mustOK(t, b, "healthy__ok")
	if st, _ := h.Server.Upstream.Status("", "slow"); st.TimedOut != 1 || st.InFlight != 0 {
		t.Errorf("status after the timeout: %+v", st)
	}
}

// The same through an agent: the agent publishes its backend's timeout, the hub enforces
// it and names agent and backend; the agent cancels the call at its server.
func TestTimeoutAgentBackend(t *testing.T) {
	noLeaks(t)
	slow, healthy := newToolServer(t), newToolServer(t)
	h := startHub(t, []backend.Config{{Name: "healthy", Transport: backend.TransportHTTP, URL: healthy.URL}}, nil)
	runAgent(t, h, "laptop", []backend.Config{{Name: "slow", Transport: backend.TransportHTTP, URL: slow.URL, Timeout: 700 * time.Millisecond}})
	waitTools(t, h, "laptop__slow__hang", "healthy__ok")
	a, b := connect(t, h), connect(t, h)
	got := make(chan *jsonrpc.Error, 1)
	go func() {
		_, we, _ := call(ctxFor(t, 60*time.Second), a, "laptop__slow__hang")
		got <- we
	}()
	mustOK(t, b, "healthy__ok")
	we := receive(t, got, "the hanging call's answer")
	if we == nil || we.Code != mcp.CodeCallTimeout || !strings.Contains(we.Message, `backend "slow" of agent "laptop"`) || !strings.Contains(we.Message, "700ms") {
		t.Fatalf("hanging call: got %v, want code %d naming backend \"slow\" of agent \"laptop\" and 700ms", we, mcp.CodeCallTimeout)
	}
	if tool := receive(t, slow.cancelled, "the server to see the call cancelled"); tool != "hang" {
		t.Fatalf("cancelled %q", tool)
	}
	mustOK(t, a, "healthy__ok")
}

// With max_concurrent 1 and max_queue 1, a third concurrent call is refused at once with
// CodeBackendBusy; once the first two finish, calls pass again.
func TestBusy(t *testing.T) {
	noLeaks(t)
	gated, healthy := newToolServer(t), newToolServer(t)
	h := startHub(t, []backend.Config{
		{Name: "gated", Transport: backend.TransportHTTP, URL: gated.URL, MaxConcurrent: 1, MaxQueue: 1},
		{Name: "healthy", Transport: backend.TransportHTTP, URL: healthy.URL},
	}, nil)
	waitTools(t, h, "gated__hold", "healthy__ok")
	cs := connect(t, h)
	done := make(chan error, 2)
	hold := func() {
		res, we, err := call(ctxFor(t, 60*time.Second), cs, "gated__hold")
		if err == nil && we != nil {
			err = we
		} else if err == nil && res.IsError {
			err = errString("tool error")
		}
		done <- err
	}
	go hold()
	receive(t, gated.entered, "the first call to run")
	go hold()
	waitFor(t, "the second call to queue", func() bool {
		st, _ := h.Server.Upstream.Status("", "gated")
		return st.Queued == 1
	})
	mustFail(t, cs, "gated__hold", mcp.CodeBackendBusy, `backend "gated"`, "busy", "max_concurrent")
	mustOK(t, cs, "healthy__ok")
	close(gated.release)
	for range 2 {
		if err := receive(t, done, "a held call to finish"); err != nil {
			t.Fatalf("held call: %v", err)
		}
	}
	mustOK(t, cs, "gated__hold")
	if st, _ := h.Server.Upstream.Status("", "gated"); st.RejectedBusy != 1 || st.InFlight != 0 || st.Queued != 0 {
		t.Errorf("status: %+v", st)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

// A backend whose calls keep failing (here: timing out) while it stays listed: its breaker
// opens after breaker_failures failures, refuses at once with CodeCircuitOpen and a
// retryAfter, and closes once a probe succeeds after the backend is healthy again. The
// REST API shows the state. (A backend that is down is not listed, so calls to it fail as
// unknown tools before they reach the breaker.)
func TestBreaker(t *testing.T) {
	noLeaks(t)
	flaky, healthy := newToolServer(t), newToolServer(t)
	h := startHub(t, []backend.Config{
		{Name: "flaky", Transport: backend.TransportHTTP, URL: flaky.URL, Timeout: 300 * time.Millisecond},
		{Name: "healthy", Transport: backend.TransportHTTP, URL: healthy.URL},
	}, func(c *config.Calls) {
		c.BreakerFailures, c.BreakerCooldown.Duration = 2, 200*time.Millisecond
	})
	waitTools(t, h, "flaky__hang", "healthy__ok")
	cs := connect(t, h)
	mustFail(t, cs, "flaky__hang", mcp.CodeCallTimeout)
	mustFail(t, cs, "flaky__hang", mcp.CodeCallTimeout)
	open := mustFail(t, cs, "flaky__hang", mcp.CodeCircuitOpen, `backend "flaky"`, "2 consecutive failures")
	var data struct{ RetryAfter int }
	if err := json.Unmarshal(open.Data, &data); err != nil || data.RetryAfter < 1 {
		t.Fatalf("circuit open: data %s", open.Data)
	}
	mustOK(t, cs, "healthy__ok")
	if st := backendCalls(t, h, "flaky"); st == nil || st.Breaker != "open" || st.Opened != 1 || st.RejectedOpen < 1 || st.TimedOut != 2 {
		t.Fatalf("REST API after opening: %+v", st)
	}
	metrics := get(t, h, "/metrics")
	for _, want := range []string{`mcpgw_backend_breaker_state{agent="",backend="flaky"} 2`,
		`mcpgw_backend_calls_timed_out_total{agent="",backend="flaky"} 2`,
		`mcpgw_backend_calls_rejected_total{agent="",backend="flaky",reason="circuit_open"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for range 2 {
		receive(t, flaky.cancelled, "the timed-out calls to be cancelled at the server")
	}
	flaky.healed.Store(true)
	waitFor(t, "a probe to pass once the backend is healthy", func() bool {
		res, we, err := call(ctxFor(t, 60*time.Second), cs, "flaky__hang")
		if we != nil && we.Code != mcp.CodeCircuitOpen {
			t.Fatalf("while open: %v", we)
		}
		return err == nil && we == nil && !res.IsError
	})
	if st := backendCalls(t, h, "flaky"); st == nil || st.Breaker != "closed" || st.Failures != 0 {
		t.Fatalf("REST API after recovery: %+v", st)
	}
}

// get fetches a path of the hub as its owner.
func get(t *testing.T, h *hubtest.Hub, path string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxFor(t, 60*time.Second), "GET", h.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+h.OwnerKey)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", path, resp.StatusCode, body, err)
	}
	return string(body)
}

// backendCalls reads a hub-local backend's call bounds from GET /api/v1/backends.
func backendCalls(t *testing.T, h *hubtest.Hub, name string) *api.BackendCalls {
	t.Helper()
	var list api.List[api.Backend]
	if err := json.Unmarshal([]byte(get(t, h, api.Prefix+"/backends")), &list); err != nil {
		t.Fatal(err)
	}
	for _, b := range list.Items {
		if b.Agent == "" && b.Name == name {
			return b.Calls
		}
	}
	t.Fatalf("backend %q not listed: %+v", name, list.Items)
	return nil
}
