package backend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

func TestCleanEnv(t *testing.T) {
	parent := map[string]string{"PATH": "/usr/bin", "HOME": "/home/me", "AWS_SECRET_ACCESS_KEY": "s", "GITHUB_TOKEN": "old"}
	lookup := func(k string) (string, bool) { v, ok := parent[k]; return v, ok }
	got := cleanEnv(lookup, []string{"PATH", "HOME"}, map[string]string{"GITHUB_TOKEN": "new", "HOME": "/srv"})
	want := []string{"GITHUB_TOKEN=new", "HOME=/srv", "PATH=/usr/bin"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := cleanEnv(lookup, []string{"PATH", "SHELL"}, nil); !reflect.DeepEqual(got, []string{"PATH=/usr/bin"}) {
		t.Errorf("missing base keys: %v", got)
	}
}

func TestSwapProgressToken(t *testing.T) {
	in := json.RawMessage(`{"name":"x","arguments":{"q":"<a&b>", "n": 1},"_meta":{"progressToken":"abc","other":true}}`)
	out, orig, err := swapProgressToken(in, json.RawMessage(`42`))
	if err != nil || string(orig) != `"abc"` {
		t.Fatalf("orig %s, err %v", orig, err)
	}
	if !bytes.Contains(out, []byte(`"progressToken":42`)) || !bytes.Contains(out, []byte(`"<a&b>"`)) ||
		!bytes.Contains(out, []byte(`"other":true`)) {
		t.Errorf("out %s", out)
	}
	// "progressToken" mentioned, but not as _meta's field: params untouched.
	for _, p := range []string{`{"arguments":{"progressToken":1}}`, `{"_meta":"progressToken"}`} {
		out, orig, err := swapProgressToken(json.RawMessage(p), json.RawMessage(`1`))
		if err != nil || orig != nil || string(out) != p {
			t.Errorf("%s: %s %s %v", p, out, orig, err)
		}
	}
	if _, _, err := swapProgressToken(json.RawMessage(`["progressToken"]`), json.RawMessage(`1`)); err == nil {
		t.Error("array params accepted")
	}
}

func TestReadEvents(t *testing.T) {
	stream := ": comment\n\nid: 1\nevent: message\ndata: {\"a\":\ndata: 1}\n\r\nevent: ping\ndata: x\n\nid: 7\n\ndata: tail-without-blank-line"
	var got []sseEvent
	err := readEvents(strings.NewReader(stream), DefaultMaxMessageBytes, func(ev sseEvent) error { got = append(got, ev); return nil })
	want := []sseEvent{
		{name: "message", id: "1", data: []byte("{\"a\":\n1}")},
		{name: "ping", data: []byte("x")},
		{id: "7", data: []byte{}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}

	// retry: the server's reconnection delay, an event of its own when alone.
	got = nil
	err = readEvents(strings.NewReader("retry: 250\n\nretry: soon\n\n"), DefaultMaxMessageBytes, func(ev sseEvent) error { got = append(got, ev); return nil })
	if len(got) != 1 || got[0].retry != 250*time.Millisecond || len(got[0].data) != 0 || err != nil {
		t.Errorf("retry: got %+v, %v; want one event with retry 250ms", got, err)
	}
	// Over the limit, in one line or over several: handed on without its data, with what an
	// IDFinder saw of the data (field names stripped), and the stream goes on.
	big := strings.Repeat("x", 500)
	for _, c := range []struct{ stream, id string }{
		{"data: " + big + "\n\n", ""},
		{"data:" + big + "\r\n\r\n", ""},
		{strings.Repeat("data: xxxxxxxx\n", 40) + "\n", ""},
		{`data: {"result":"` + big + `","id":7}` + "\n\n", "7"},
		{"data: {\"id\":\"a\",\ndata: \"result\":\"" + big[:80] + "\",\ndata: \"more\":\"" + big[:80] + "\"}\n\n", "a"},
		{"data: {\"id\":8,\"x\":\"\ndata: " + big + "\ndata: \"}\n\n", "8"},
	} {
		var got []sseEvent
		var ids []string
		err := readEvents(strings.NewReader(c.stream+"data: next\n\n"), 100, func(ev sseEvent) error {
			got = append(got, ev)
			if ev.find != nil {
				id, ok := ev.find.ID()
				ids = append(ids, "")
				if ok {
					ids[len(ids)-1] = fmt.Sprint(id.Raw())
				}
			}
			return nil
		})
		if err != nil || len(got) != 2 || got[0].over == 0 || got[0].data != nil || string(got[1].data) != "next" || got[1].over != 0 {
			t.Errorf("%.40q…: %+v, %v; want one event over the limit, then \"next\"", c.stream, got, err)
			continue
		}
		if got[0].over <= 100 || ids[0] != c.id {
			t.Errorf("%.40q…: over %d, id %q; want over 100, id %q", c.stream, got[0].over, ids[0], c.id)
		}
	}
	// A line over the limit that is not data (a comment, an id) is dropped; the event is not
	// over the limit for it.
	got = nil
	err = readEvents(strings.NewReader(": "+big+"\nid: "+big+"\nid: 3\ndata: {}\n\n"), 100, func(ev sseEvent) error {
		got = append(got, ev)
		return nil
	})
	if err != nil || len(got) != 1 || got[0].over != 0 || string(got[0].data) != "{}" || got[0].id != "3" {
		t.Errorf("long comment and id: %+v, %v; want the event with id 3 and data {}", got, err)
	}
}

func FuzzReadEvents(f *testing.F) {
	f.Add("id: 1\ndata: {}\n\n")
	f.Add("event: x\r\ndata\r\n\r\n")
	f.Add(":\n\n\n")
	f.Add("data: {\"id\":1,\"result\":\"" + strings.Repeat("x", 80) + "\"}\n\ndata: after\n\n")
	f.Add("data: {\"id\":\ndata: 2,\ndata: \"x\":\"" + strings.Repeat("y", 60) + "\"}\r\n\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		const limit = 64 // small, so that events go over it
		_ = readEvents(strings.NewReader(s), limit, func(ev sseEvent) error {
			switch {
			case ev.over == 0 && len(ev.data) > limit:
				t.Fatalf("event of %d bytes", len(ev.data))
			case ev.over > 0 && (ev.data != nil || ev.find == nil):
				t.Fatalf("event over the limit with data %q, finder %v", ev.data, ev.find)
			}
			return nil
		})
	})
}

func TestBackoff(t *testing.T) {
	for attempt := range 40 {
		limit := min(time.Second<<min(attempt, 30), 30*time.Second)
		for range 50 {
			if d := backoff(time.Second, 30*time.Second, attempt); d <= 0 || d > limit {
				t.Fatalf("attempt %d: %s outside (0, %s]", attempt, d, limit)
			}
		}
	}
}

func TestLineLogger(t *testing.T) {
	var buf bytes.Buffer
	l := &lineLogger{log: slog.New(slog.NewTextHandler(&buf, nil))}
	long := strings.Repeat("x", maxStderrLine+100)
	for _, chunk := range []string{"first li", "ne\r\n\n", long, "\nlast"} {
		if n, err := l.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write: %d %v", n, err)
		}
	}
	l.flush()
	out := buf.String()
	if !strings.Contains(out, `line="first line"`) || !strings.Contains(out, "…(cut)") || l.lastLine() != "last" {
		t.Errorf("logged:\n%s\nlast %q", out, l.lastLine())
	}
	if strings.Count(out, "\n") != 3 || strings.Contains(out, strings.Repeat("x", maxStderrLine+1)) {
		t.Errorf("want 3 lines, the long one cut:\n%.300s", out)
	}
}

func TestHeaderRoundTripper(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	h := &headerRoundTripper{base: http.DefaultTransport, headers: map[string]string{"Authorization": "Bearer t"}}
	client := &http.Client{Transport: h}
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	if _, err := client.Do(req); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer t" || got.Get("Mcp-Protocol-Version") != "" || req.Header.Get("Authorization") != "" {
		t.Errorf("before initialize: %v (caller's request %v)", got, req.Header)
	}
	h.setVersion("2025-11-25")
	req, _ = http.NewRequest(http.MethodPost, srv.URL, nil)
	if _, err := client.Do(req); err != nil {
		t.Fatal(err)
	}
	if got.Get("Mcp-Protocol-Version") != "2025-11-25" {
		t.Errorf("after initialize: %v", got)
	}
}

// requestMeta writes its members in key order, whichever of them a request gets.
func TestRequestMetaSorted(t *testing.T) {
	for _, transport := range []string{TransportStdio, TransportHTTP} {
		s := &session{b: &Backend{cfg: Config{Transport: transport}, clientInfo: json.RawMessage(`{"name":"n","version":"1"}`)}}
		for _, logging := range []bool{false, true} {
			s.logging = logging
			for _, withClient := range []bool{false, true} {
				for _, caps := range []json.RawMessage{nil, json.RawMessage(`{"roots":{}}`)} {
					for _, level := range []string{"", LogNone, "error"} {
						m := s.requestMeta(withClient, caps, level)
						if !slices.IsSortedFunc(m, func(a, b mcp.Member) int { return strings.Compare(a.Key, b.Key) }) {
							t.Errorf("%s, logging %v, client %v, caps %s, level %q: keys not in order: %v", transport, logging, withClient, caps, level, m)
						}
						if caps != nil && string(m[0].Value) != string(caps) {
							t.Errorf("the client's capabilities are not the ones sent: %s", m[0].Value)
						}
					}
				}
			}
		}
	}
}

func TestWithMeta(t *testing.T) {
	meta := metaSet{{Key: metaProtocolVersion, Value: json.RawMessage(`"2026-07-28"`)}}
	cases := []struct{ in, want string }{
		{``, `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`},
		{`null`, `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`},
		{`{"name":"a<b"}`, `{"name":"a<b","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`},
		{`{ "name" : "x", "arguments": {"a": [1, 2]} }`,
			`{ "name" : "x", "arguments": {"a": [1, 2]} ,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`},
		{`{"_meta":{"progressToken":7,"io.modelcontextprotocol/protocolVersion":"x"},"name":"n"}`,
			`{"_meta":{"progressToken":7,"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"n"}`},
		{`{"_meta":5}`, `{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}`},
	}
	for _, c := range cases {
		got, err := withMeta(json.RawMessage(c.in), meta)
		if err != nil || string(got) != c.want {
			t.Errorf("withMeta(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, err := withMeta(json.RawMessage(`[1]`), meta); err == nil {
		t.Error("params that are not an object: no error")
	}
}

func TestRetryParams(t *testing.T) {
	answers := map[string]json.RawMessage{"q": json.RawMessage(`{"action":"accept"}`)}
	state := "round=1"
	got, err := retryParams(json.RawMessage(`{"name":"t","requestState":"old","inputResponses":{"x":{}}}`), answers, &state)
	if want := `{"inputResponses":{"q":{"action":"accept"}},"name":"t","requestState":"round=1"}`; err != nil || string(got) != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
	got, err = retryParams(json.RawMessage(`{"name":"t","requestState":"old"}`), answers, nil)
	if want := `{"inputResponses":{"q":{"action":"accept"}},"name":"t"}`; err != nil || string(got) != want {
		t.Errorf("without state: got %s, %v; want %s", got, err, want)
	}
}

func TestListChanged(t *testing.T) {
	got := listChanged(json.RawMessage(`{"tools":{"listChanged":true},"prompts":{},"resources":{"listChanged":true,"subscribe":true}}`))
	if got != kindTools|kindResources {
		t.Errorf("got %b", got)
	}
}

// FuzzWithMeta: whatever the params, the result is an error, or a JSON object that decodes
// to what decoding params, setting the _meta keys and encoding again gives (what withMeta
// did before it kept the bytes) — never a panic or invalid JSON.
func FuzzWithMeta(f *testing.F) {
	f.Add([]byte(`{"name":"x","_meta":{"progressToken":"t"}}`))
	f.Add([]byte(`{"_meta":[]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"_meta":{"a":1},"_meta":{"b":2},"x":{"_meta":3}}`))
	f.Add([]byte(`{"\u005fmeta":{"progressToken":1}}`))
	meta := metaSet{{Key: metaClientCapabilities, Value: json.RawMessage(`{}`)},
		{Key: metaProtocolVersion, Value: json.RawMessage(`"2026-07-28"`)}}
	f.Fuzz(func(t *testing.T, params []byte) {
		out, err := withMeta(params, meta)
		want, werr := withMetaByMaps(params, meta)
		if (err == nil) != (werr == nil) {
			t.Fatalf("withMeta(%q): error %v, by maps %v", params, err, werr)
		}
		if err != nil {
			return
		}
		var got, exp any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("withMeta(%q) = %s: %v", params, out, err)
		}
		_ = json.Unmarshal(want, &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("withMeta(%q)\n = %s\n by maps %s", params, out, want)
		}
	})
}

// withMetaByMaps is withMeta by decoding into maps and encoding again.
func withMetaByMaps(params json.RawMessage, meta metaSet) (json.RawMessage, error) {
	top := map[string]json.RawMessage{}
	if t := bytes.TrimSpace(params); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
		if err := json.Unmarshal(params, &top); err != nil {
			return nil, err
		}
	}
	cur := map[string]json.RawMessage{}
	if raw, ok := top["_meta"]; ok {
		_ = json.Unmarshal(raw, &cur)
	}
	for _, m := range meta {
		cur[m.Key] = m.Value
	}
	raw, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	top["_meta"] = raw
	return json.Marshal(top)
}

// Regression: a call that arrived between the end of a session and the supervisor's next
// snapshot was refused as "not ready (ready)".
func TestNotReadyWhileSnapshotSaysReady(t *testing.T) {
	b := New(Config{Name: "fs", Transport: TransportStdio, Command: "x"}, Options{})
	snap := *b.snap.Load()
	snap.State = protocol.StateReady
	b.snap.Store(&snap)
	err := b.notReady()
	if !errors.Is(err, ErrNotReady) || strings.Contains(err.Error(), "(ready") || !strings.Contains(err.Error(), "restarting") {
		t.Fatalf("got %v", err)
	}
}

// startup_timeout bounds a start (issue 12: it was a fixed 60 s): a server that never answers
// initialize fails after the configured time, naming the setting; the default applies when
// it is unset, and nonsense values are refused.
func TestStartupTimeoutConfigurable(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip("no sleep command")
	}
	r := startNoWait(t, Config{Name: "mute", Transport: TransportStdio, Command: "sleep", Args: []string{"600"},
		StartupTimeout: time.Second}, Options{BackoffBase: time.Hour})
	waitFor(t, 60*time.Second, "the start to time out", func() bool {
		return strings.Contains(r.Snapshot().Error, "not started within 1s (startup_timeout)")
	})
	if d := (&Config{}).startupTimeout(); d != DefaultStartupTimeout {
		t.Errorf("default startup timeout %s", d)
	}
	for _, bad := range []time.Duration{-time.Second, time.Millisecond} {
		c := Config{Name: "x", Transport: TransportStdio, Command: "x", StartupTimeout: bad}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "startup_timeout") {
			t.Errorf("startup_timeout %s: %v", bad, err)
		}
	}
}

// A stdio server gets the agent's proxy and CA variables (issue 12: behind a corporate proxy
// npx could not fetch a server), and still nothing else of the agent's environment; the
// backend's env overrides one, "" included.
func TestStdioEnvPassesProxyAndCA(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	t.Setenv("NODE_EXTRA_CA_CERTS", "/etc/corp-ca.pem")
	t.Setenv("NO_PROXY", "localhost")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-for-servers")
	r := startNoWait(t, Config{Name: "envy", Transport: TransportStdio, Command: "sh",
		Args: []string{"-c", `echo "env[$HTTPS_PROXY|$NODE_EXTRA_CA_CERTS|$AWS_SECRET_ACCESS_KEY|${NO_PROXY-unset}]" >&2; exit 3`},
		Env:  map[string]string{"NO_PROXY": ""}}, Options{BackoffBase: time.Hour})
	waitFor(t, 60*time.Second, "the server's exit", func() bool {
		return strings.Contains(r.Snapshot().Error, "env[")
	})
	if e := r.Snapshot().Error; !strings.Contains(e, "env[http://proxy.example:3128|/etc/corp-ca.pem||]") {
		t.Errorf("the server saw %q; want the proxy and CA, no secret, and NO_PROXY emptied by the backend's env", e)
	}
}
