package cluster

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

var testKey = bytes.Repeat([]byte{7}, 32)

var h2c = newClient(nil)

// node serves CallPath with a registry that holds no agent: whatever passes the credential
// check and the frame parser ends in an agent_gone refusal.
func node(t testing.TB) *httptest.Server {
	n := New(Options{HubID: "me", URL: "http://x", Key: testKey, Agents: agents.New(agents.Options{})})
	srv := httptest.NewUnstartedServer(n)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func callFrame(t testing.TB) []byte {
	var b bytes.Buffer
	msg := json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`)
	if err := protocol.NewFrameWriter(&b).WriteCall(&protocol.Call{Backend: "b", Message: msg}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func post(t testing.TB, url string, body []byte, mod func(*http.Request)) (*http.Response, []byte) {
	req, err := http.NewRequest(http.MethodPost, url+CallPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	mod(req)
	resp, err := h2c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

// The hub-to-hub endpoint refuses a missing, forged, stale or mismatched credential with
// 401 before it reads the call, and runs the call with the right one.
func TestCallCredential(t *testing.T) {
	srv := node(t)
	body := callFrame(t)
	now := time.Now()
	for name, mod := range map[string]func(*http.Request){
		"missing":     func(*http.Request) {},
		"wrong key":   func(r *http.Request) { sign(r, bytes.Repeat([]byte{8}, 32), "other", "laptop", now) },
		"stale":       func(r *http.Request) { sign(r, testKey, "other", "laptop", now.Add(-2*MaxSkew)) },
		"future":      func(r *http.Request) { sign(r, testKey, "other", "laptop", now.Add(2*MaxSkew)) },
		"other agent": func(r *http.Request) { sign(r, testKey, "other", "laptop", now); r.Header.Set(headerAgent, "desk") },
		"other hub":   func(r *http.Request) { sign(r, testKey, "other", "laptop", now); r.Header.Set(headerHub, "evil") },
		"bad time": func(r *http.Request) {
			sign(r, testKey, "other", "laptop", now)
			r.Header.Set(headerTime, strconv.FormatInt(now.UnixMilli()+1, 10))
		},
		"bearer": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+hex.EncodeToString(testKey)) },
	} {
		resp, out := post(t, srv.URL, body, mod)
		if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(out, []byte("cluster credential")) {
			t.Errorf("%s: %s %s, want 401", name, resp.Status, out)
		}
	}
	// HTTP/1 is refused, even with the right credential.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+CallPath, bytes.NewReader(body))
	sign(req, testKey, "other", "laptop", now)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusHTTPVersionNotSupported {
		t.Errorf("HTTP/1: %v %v, want 505", resp, err)
	} else {
		resp.Body.Close()
	}
	// The right credential: the call runs (and finds no agent here).
	resp, out := post(t, srv.URL, body, func(r *http.Request) { sign(r, testKey, "other", "laptop", now) })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("valid credential: %s %s", resp.Status, out)
	}
	typ, payload, err := protocol.ReadFrame(bytes.NewReader(out))
	var ref protocol.Refusal
	if err == nil {
		err = protocol.Decode(typ, payload, &ref)
	}
	if err != nil || typ != protocol.TypeRefusal || ref.Code != failAgentGone {
		t.Fatalf("valid credential: frame %s %+v %v, want an agent_gone refusal", typ, ref, err)
	}
}

// FuzzServeCall: any body behind a valid credential gets a clear answer (400 for a bad call
// frame, else frames), never a panic or a hang.
func FuzzServeCall(f *testing.F) {
	f.Add(callFrame(f))
	f.Add([]byte{})
	f.Add([]byte{byte(protocol.TypeCall), 0, 0, 0, 2, '{', '}'})
	f.Add([]byte{byte(protocol.TypeResult), 0, 0, 0, 0})
	srv := node(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, out := post(t, srv.URL, body, func(r *http.Request) { sign(r, testKey, "other", "laptop", time.Now()) })
		switch resp.StatusCode {
		case http.StatusBadRequest:
			if !bytes.Contains(out, []byte("bad call frame")) {
				t.Fatalf("400 without a reason: %s", out)
			}
		case http.StatusOK:
			if _, _, err := protocol.ReadFrame(bytes.NewReader(out)); err != nil {
				t.Fatalf("200 without a frame: %q", out)
			}
		default:
			t.Fatalf("status %s: %s", resp.Status, out)
		}
	})
}
