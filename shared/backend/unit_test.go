package backend

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
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
	err := readEvents(strings.NewReader(stream), func(ev sseEvent) error { got = append(got, ev); return nil })
	want := []sseEvent{
		{name: "message", id: "1", data: []byte("{\"a\":\n1}")},
		{name: "ping", data: []byte("x")},
		{id: "7", data: []byte{}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
}

func FuzzReadEvents(f *testing.F) {
	f.Add("id: 1\ndata: {}\n\n")
	f.Add("event: x\r\ndata\r\n\r\n")
	f.Add(":\n\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		_ = readEvents(strings.NewReader(s), func(ev sseEvent) error {
			if len(ev.data) > maxEventSize {
				t.Fatalf("event of %d bytes", len(ev.data))
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
