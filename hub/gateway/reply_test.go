package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// countingListener counts the writes of the connections it accepts: each is one write(2)
// on a TCP connection.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestReplyWrites: a call's JSON reply leaves as one response of known length — one write
// when it fits net/http's connection buffer, never chunked when it is larger — in both eras.
func TestReplyWrites(t *testing.T) {
	r := router.New(nil)
	r.Set("", hubBackends())
	gw := New(Config{KeepAlive: time.Hour}, keys, r, newFakeUpstream(), slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	gw.Mount(mux)
	var writes atomic.Int64
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener = countingListener{srv.Listener, &writes}
	srv.Start()
	t.Cleanup(srv.Close)
	client := srv.Client()

	post := func(sid, body string, hdr map[string]string) (*http.Response, []byte, int64) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+aliceKey)
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Content-Type", "application/json")
		if sid != "" {
			req.Header.Set(headerSession, sid)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		before := writes.Load()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The whole response is in: the server wrote it before the client could read it.
		return resp, b, writes.Load() - before
	}
	resp, _, _ := post("", initBody, nil)
	sid := resp.Header.Get(headerSession)
	if sid == "" {
		t.Fatal("initialize returned no session")
	}
	post(sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)

	call := func(message string) string {
		return `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"util__echo","arguments":{"message":"` + message + `"}}}`
	}
	modern := func(message string) string {
		return modernBody(7, "tools/call", `{"name":"util__echo","arguments":{"message":"`+message+`"}}`, "")
	}
	modernHdr := map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/call", headerName: "util__echo"}
	for _, tc := range []struct {
		name    string
		sid     string
		body    string
		hdr     map[string]string
		large   bool
		maxDiff int64
	}{
		{"session, small", sid, call("hi"), nil, false, 1},
		{"session, large", sid, call(strings.Repeat("x", 10_000)), nil, true, 2},
		{"stateless, small", "", modern("hi"), modernHdr, false, 1},
		{"stateless, large", "", modern(strings.Repeat("x", 10_000)), modernHdr, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b, n := post(tc.sid, tc.body, tc.hdr)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `util__echo`) && !strings.Contains(string(b), `echo`) {
				t.Fatalf("status %d: %.200s", resp.StatusCode, b)
			}
			if tc.large && len(b) < 10_000 {
				t.Fatalf("reply of %d bytes, want the large echo", len(b))
			}
			if len(resp.TransferEncoding) != 0 {
				t.Errorf("Transfer-Encoding %v, want none (a known length)", resp.TransferEncoding)
			}
			if resp.ContentLength != int64(len(b)) || resp.Header.Get("Content-Length") != strconv.Itoa(len(b)) {
				t.Errorf("Content-Length %d (%q), body %d bytes", resp.ContentLength, resp.Header.Get("Content-Length"), len(b))
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
			if n < 1 || n > tc.maxDiff {
				t.Errorf("the reply took %d writes, want 1..%d", n, tc.maxDiff)
			}
		})
	}
}

// TestCompleteResultOneCopy: a result without _meta gets the same bytes from the one-copy
// prefix as from adding resultType and then _meta member by member.
func TestCompleteResultOneCopy(t *testing.T) {
	gw := New(Config{ServerVersion: "1.2.3"}, keys, router.New(nil), newFakeUpstream(), slog.New(slog.DiscardHandler))
	for _, res := range []string{
		`{"content":[{"type":"text","text":"hi"}]}`,
		`{}`,
		`{ }`,
		"{\n  \"content\": [],\n  \"isError\": true\n}",
		`{"structuredContent":{"_meta":1},"content":[]}`,
	} {
		want, err := mcp.AddMember([]byte(res), "resultType", []byte(`"complete"`))
		if err == nil {
			want, err = mcp.SetMeta(want, mcp.MetaServerInfo, gw.serverInfo)
		}
		if err != nil {
			t.Fatal(err)
		}
		id, _ := jsonrpc.MakeID(float64(3))
		got := gw.completeResult(mcp.MethodToolsCall, &jsonrpc.Response{ID: id, Result: json.RawMessage(res)})
		if got.Error != nil || string(got.Result) != string(want) {
			t.Errorf("%s:\n got %s (%v)\nwant %s", res, got.Result, got.Error, want)
		}
		if !json.Valid(got.Result) {
			t.Errorf("%s: invalid JSON %s", res, got.Result)
		}
	}
	for _, bad := range []string{`[1]`, `"text"`, ` 7`} {
		got := gw.completeResult(mcp.MethodToolsCall, &jsonrpc.Response{Result: json.RawMessage(bad)})
		if got.Error == nil {
			t.Errorf("%s: no error, result %s", bad, got.Result)
		}
	}
}

// FuzzCompleteResultOneCopy: for any valid JSON result, the tools/call result a stateless
// client gets is the same as adding resultType and then _meta member by member, and valid.
func FuzzCompleteResultOneCopy(f *testing.F) {
	for _, s := range []string{`{"content":[]}`, `{}`, ` { } `, `{"_meta":{"a":1}}`, `{"resultType":"complete"}`,
		`{"inputRequests":{}}`, `[]`, `"x"`, "{\n\"isError\":true}"} {
		f.Add(s)
	}
	gw := New(Config{ServerVersion: "1"}, keys, router.New(nil), newFakeUpstream(), slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, res string) {
		if !json.Valid([]byte(res)) {
			return
		}
		got := gw.completeResult(mcp.MethodToolsCall, &jsonrpc.Response{Result: json.RawMessage(res)})
		var want json.RawMessage
		_, typed := mcp.Field([]byte(res), "resultType")
		_, asks := mcp.Field([]byte(res), "inputRequests")
		if typed || asks {
			return // not the path under test
		}
		b, err := mcp.AddMember([]byte(res), "resultType", []byte(`"complete"`))
		if err == nil {
			b, err = mcp.SetMeta(b, mcp.MetaServerInfo, gw.serverInfo)
		}
		if err != nil {
			if got.Error == nil {
				t.Fatalf("%q: two steps fail (%v), one copy gave %s", res, err, got.Result)
			}
			return
		}
		want = b
		if got.Error != nil || !bytes.Equal(bytes.TrimLeft(got.Result, " \t\r\n"), bytes.TrimLeft(want, " \t\r\n")) {
			t.Fatalf("%q:\n got %s (%v)\nwant %s", res, got.Result, got.Error, want)
		}
		if !json.Valid(got.Result) {
			t.Fatalf("%q: invalid JSON %s", res, got.Result)
		}
	})
}
