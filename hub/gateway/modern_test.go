package gateway

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/syncbuf"
)

// baseMeta is a stateless request's _meta with no capabilities.
const baseMeta = `"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}`

// modernBody is a stateless request: params (an object) with a _meta of baseMeta plus extra.
func modernBody(id int, method, params, extraMeta string) string {
	if params == "" {
		params = "{}"
	}
	meta := `"_meta":{` + baseMeta + extraMeta + `}`
	if strings.TrimSpace(params) == "{}" {
		params = "{" + meta + "}"
	} else {
		params = "{" + meta + "," + strings.TrimPrefix(strings.TrimSpace(params), "{")
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, id, method, params)
}

// modernHeaders sets the headers a stateless request must carry.
func modernHeaders(method, name string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set(headerProtocol, "2026-07-28")
		r.Header.Set(headerMethod, method)
		if name != "" {
			r.Header.Set(headerName, name)
		}
	}
}

// modern sends a well-formed stateless request and returns its final message.
func (h *harness) modern(id int, method, name, params, extraMeta string, mods ...func(*http.Request)) rpcMsg {
	h.t.Helper()
	resp := h.post("", modernBody(id, method, params, extraMeta), append([]func(*http.Request){modernHeaders(method, name)}, mods...)...)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("%s: status %d", method, resp.StatusCode)
	}
	if resp.Header.Get(headerSession) != "" {
		h.t.Errorf("%s: a stateless request got a session", method)
	}
	return h.reply(resp)
}

func resultMap(t *testing.T, m rpcMsg) map[string]json.RawMessage {
	t.Helper()
	if m.Error != nil {
		t.Fatalf("error %+v", *m.Error)
	}
	var r map[string]json.RawMessage
	if err := json.Unmarshal(m.Result, &r); err != nil {
		t.Fatalf("result %s: %v", m.Result, err)
	}
	return r
}

func TestModernDiscover(t *testing.T) {
	h := newHarness(t, Config{ServerVersion: "9.9", Instructions: "be kind"})
	r := resultMap(t, h.modern(1, "server/discover", "", "", ""))
	var versions []string
	_ = json.Unmarshal(r["supportedVersions"], &versions)
	if want := []string{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}; !slices.Equal(versions, want) {
		t.Errorf("supportedVersions %v, want %v", versions, want)
	}
	for k, want := range map[string]string{"resultType": `"complete"`, "cacheScope": `"public"`, "ttlMs": "3600000", "instructions": `"be kind"`} {
		if string(r[k]) != want {
			t.Errorf("%s = %s, want %s", k, r[k], want)
		}
	}
	if !strings.Contains(string(r["capabilities"]), `"tools":{"listChanged":true}`) {
		t.Errorf("capabilities %s", r["capabilities"])
	}
	if !strings.Contains(string(r["_meta"]), `"io.modelcontextprotocol/serverInfo":{"name":"mcp-gateway","version":"9.9"}`) {
		t.Errorf("_meta %s", r["_meta"])
	}
	if n := h.gw.Sessions(); n != 0 {
		t.Errorf("%d sessions after a stateless request", n)
	}
}

// TestModernVersion: a version the hub cannot serve statelessly gets
// UnsupportedProtocolVersionError (400, -32022) with the versions it supports; a
// supported one is served.
func TestModernVersion(t *testing.T) {
	h := newHarness(t, Config{})
	for _, v := range []string{"2099-01-01", "2025-11-25", "garbage"} {
		body := strings.Replace(modernBody(7, "tools/list", "", ""), "2026-07-28", v, 1)
		resp := h.post("", body, withHeader(headerProtocol, v), withHeader(headerMethod, "tools/list"))
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("version %s: status %d", v, resp.StatusCode)
		}
		var m struct {
			ID    json.RawMessage
			Error struct {
				Code int
				Data struct {
					Requested string
					Supported []string
				}
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatal(err)
		}
		if m.Error.Code != -32022 || m.Error.Data.Requested != v || !slices.Equal(m.Error.Data.Supported, allVersions) || string(m.ID) != "7" {
			t.Errorf("version %s: %+v", v, m)
		}
	}
	if m := h.modern(8, "tools/list", "", "", ""); m.Error != nil {
		t.Errorf("2026-07-28 refused: %+v", *m.Error)
	}
}

// TestModernHeaders: every header the stateless protocol requires, missing or not matching
// the body, is a HeaderMismatchError (400, -32020); matching headers pass.
func TestModernHeaders(t *testing.T) {
	h := newHarness(t, Config{})
	call := modernBody(1, "tools/call", `{"name":"util__echo","arguments":{}}`, "")
	read := modernBody(2, "resources/read", `{"uri":"mcpgw://util/file:///a.txt"}`, "")
	for _, tc := range []struct {
		name, body string
		hdr        map[string]string
		status     int
	}{
		{"all match", call, map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/call", headerName: "util__echo"}, 200},
		{"no version header", call, map[string]string{headerMethod: "tools/call", headerName: "util__echo"}, 400},
		{"other version header", call, map[string]string{headerProtocol: "2025-11-25", headerMethod: "tools/call", headerName: "util__echo"}, 400},
		{"no method header", call, map[string]string{headerProtocol: "2026-07-28", headerName: "util__echo"}, 400},
		{"other method header", call, map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/list", headerName: "util__echo"}, 400},
		{"no name header", call, map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/call"}, 400},
		{"other name header", call, map[string]string{headerProtocol: "2026-07-28", headerMethod: "tools/call", headerName: "util__slow"}, 400},
		{"uri matches", read, map[string]string{headerProtocol: "2026-07-28", headerMethod: "resources/read", headerName: "mcpgw://util/file:///a.txt"}, 200},
		{"uri differs", read, map[string]string{headerProtocol: "2026-07-28", headerMethod: "resources/read", headerName: "mcpgw://util/file:///b.txt"}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*http.Request)
			for k, v := range tc.hdr {
				mods = append(mods, withHeader(k, v))
			}
			resp := h.post("", tc.body, mods...)
			if tc.status == 200 {
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				if m := h.reply(resp); m.Error != nil {
					t.Fatalf("error %+v", *m.Error)
				}
				return
			}
			var m rpcMsg
			if resp.StatusCode != tc.status || json.NewDecoder(resp.Body).Decode(&m) != nil || m.Error == nil || m.Error.Code != -32020 {
				t.Fatalf("status %d, %+v; want %d with -32020", resp.StatusCode, m.Error, tc.status)
			}
		})
	}
}

// TestModernMeta: what _meta must hold besides the version, both ways.
func TestModernMeta(t *testing.T) {
	h := newHarness(t, Config{})
	post := func(body string) rpcMsg {
		resp := h.post("", body, modernHeaders("tools/list", ""))
		return h.reply(resp)
	}
	noCaps := `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`
	if m := post(noCaps); m.Error == nil || m.Error.Code != codeInvalidParams {
		t.Errorf("without clientCapabilities: %+v", m)
	}
	for _, bad := range []string{`,"io.modelcontextprotocol/logLevel":"loud"`, `,"io.modelcontextprotocol/logLevel":3`} {
		body := modernBody(1, "tools/list", "", bad)
		if m := post(body); m.Error == nil || m.Error.Code != codeInvalidParams {
			t.Errorf("%s: %+v", bad, m)
		}
	}
	badInfo := strings.Replace(modernBody(1, "tools/list", "", ""), `{"name":"raw","version":"1"}`, `"raw"`, 1)
	if m := post(badInfo); m.Error == nil || m.Error.Code != codeInvalidParams {
		t.Errorf("clientInfo a string: %+v", m)
	}
	if m := post(modernBody(1, "tools/list", "", `,"io.modelcontextprotocol/logLevel":"warning","traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"`)); m.Error != nil {
		t.Errorf("valid _meta refused: %+v", *m.Error)
	}
}

// TestModernResults: resultType on every result, cache hints on lists and reads, and the
// session-only methods refused.
func TestModernResults(t *testing.T) {
	h := newHarness(t, Config{})
	for _, method := range []string{"tools/list", "prompts/list", "resources/list", "resources/templates/list"} {
		r := resultMap(t, h.modern(1, method, "", "", ""))
		if string(r["resultType"]) != `"complete"` || string(r["ttlMs"]) != "10000" || string(r["cacheScope"]) != `"private"` {
			t.Errorf("%s: resultType %s ttlMs %s cacheScope %s", method, r["resultType"], r["ttlMs"], r["cacheScope"])
		}
	}
	r := resultMap(t, h.modern(2, "resources/read", "mcpgw://util/file:///a.txt", `{"uri":"mcpgw://util/file:///a.txt"}`, ""))
	if string(r["resultType"]) != `"complete"` || string(r["ttlMs"]) != "0" || string(r["cacheScope"]) != `"private"` || r["contents"] == nil {
		t.Errorf("resources/read: %v", r)
	}
	m := h.modern(3, "tools/call", "util__echo", `{"name":"util__echo","arguments":{"x":1}}`, "")
	if r := resultMap(t, m); string(r["resultType"]) != `"complete"` {
		t.Errorf("tools/call resultType %s", r["resultType"])
	}
	first := h.up.last().Caller.Session
	h.modern(3, "tools/call", "util__echo", `{"name":"util__echo","arguments":{"x":1}}`, "")
	if second := h.up.last().Caller.Session; !strings.HasPrefix(first, "req-") || first == second {
		t.Errorf("stateless calls carry owners %q and %q: want one of their own each", first, second)
	}
	if p := string(h.up.last().Params); strings.Contains(p, "io.modelcontextprotocol") || !strings.Contains(p, `"arguments":{"x":1}`) {
		t.Errorf("upstream params %s", p)
	}
}

// TestModernStatuses: the HTTP status of a stateless request's refusal (SEP-2575, as the
// 2026-07-28 conformance scenario server-stateless checks it): missing or invalid _meta
// fields 400 with -32602; a Mcp-Protocol-Version header that differs from an unsupported
// _meta version -32020, not -32022; removed methods (initialize carrying only the
// stateless _meta among them) and unknown ones 404 with -32601. A legacy initialize still
// starts a session. An unknown resource names its URI in the error's data (SEP-2164).
func TestModernStatuses(t *testing.T) {
	h := newHarness(t, Config{})
	check := func(what string, resp *http.Response, status, code int, says ...string) {
		t.Helper()
		var m rpcMsg
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if resp.StatusCode != status || m.Error == nil || m.Error.Code != code {
			t.Errorf("%s: status %d, %+v; want %d with %d", what, resp.StatusCode, m.Error, status, code)
		}
		for _, s := range says {
			if m.Error == nil || !strings.Contains(m.Error.Message, s) {
				t.Errorf("%s: %+v; want a message with %q", what, m.Error, s)
			}
		}
	}
	noCaps := `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"}}}}`
	check("no clientCapabilities", h.post("", noCaps, modernHeaders("server/discover", "")), 400, codeInvalidParams)
	metaArray := `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":["io.modelcontextprotocol/protocolVersion"]}}`
	check("_meta not an object", h.post("", metaArray, modernHeaders("server/discover", "")), 400, codeInvalidParams, "_meta must be an object")
	check("bad logLevel", h.post("", modernBody(1, "tools/list", "", `,"io.modelcontextprotocol/logLevel":"loud"`), modernHeaders("tools/list", "")), 400, codeInvalidParams)
	future := strings.Replace(modernBody(2, "server/discover", "", ""), "2026-07-28", "v999.0.0", 1)
	check("header 2026-07-28, _meta v999", h.post("", future, modernHeaders("server/discover", "")), 400, -32020)
	check("header and _meta v999", h.post("", future, modernHeaders("server/discover", ""), withHeader(headerProtocol, "v999.0.0")), 400, -32022)
	for _, method := range []string{"initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "unknown/method"} {
		body := modernBody(3, method, `{"level":"info","uri":"mcpgw://util/file:///a.txt"}`, "")
		check(method, h.post("", body, modernHeaders(method, "")), 404, codeMethodNotFound)
	}
	check("unknown tool", h.post("", modernBody(4, "tools/call", `{"name":"nope","arguments":{}}`, ""), modernHeaders("tools/call", "nope")), 400, codeInvalidParams)
	// SEP-2164: an unknown resource is -32602 with the URI in data.
	const missing = "test://nonexistent"
	resp := h.post("", modernBody(5, "resources/read", `{"uri":"`+missing+`"}`, ""), modernHeaders("resources/read", missing))
	var m struct {
		Error struct {
			Code int
			Data struct{ URI string }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 400 || m.Error.Code != codeInvalidParams || m.Error.Data.URI != missing {
		t.Errorf("unknown resource: status %d, %+v (%v)", resp.StatusCode, m, err)
	}
	if n := h.gw.Sessions(); n != 0 {
		t.Errorf("%d sessions after stateless requests", n)
	}
	h.initialize("2025-11-25", "")
	if n := h.gw.Sessions(); n != 1 {
		t.Errorf("%d sessions after a legacy initialize, want 1", n)
	}
}

// TestModernLogLevel: log messages reach a stateless request only at or above the level
// its _meta asks for, and none without one.
func TestModernLogLevel(t *testing.T) {
	h := newHarness(t, Config{})
	logs := func(extra string) []string {
		resp := h.post("", modernBody(1, "tools/call", `{"name":"util__progress"}`, extra), modernHeaders("tools/call", "util__progress"))
		var out []string
		for _, m := range h.messages(resp) {
			if m.Method == "notifications/message" {
				out = append(out, string(m.Params))
			}
		}
		return out
	}
	if got := logs(""); len(got) != 0 {
		t.Errorf("without logLevel: %v", got)
	}
	if got := logs(`,"io.modelcontextprotocol/logLevel":"warning"`); len(got) != 1 || !strings.Contains(got[0], `"error"`) {
		t.Errorf("at warning: %v", got)
	}
	if got := logs(`,"io.modelcontextprotocol/logLevel":"debug"`); len(got) != 2 {
		t.Errorf("at debug: %v", got)
	}
}

// TestModernNotifications: a stateless client's notifications and responses are accepted
// and dropped; without the stateless header they still need a session.
func TestModernNotifications(t *testing.T) {
	h := newHarness(t, Config{})
	n := `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`
	httpStatus(t, h.post("", n, withHeader(headerProtocol, "2026-07-28")), http.StatusAccepted, 0)
	httpStatus(t, h.post("", `{"jsonrpc":"2.0","id":1,"result":{}}`, withHeader(headerProtocol, "2026-07-28")), http.StatusAccepted, 0)
	httpStatus(t, h.post("", n), http.StatusBadRequest, -32600)
}

// TestModernAuth: a stateless request is authenticated like any other.
func TestModernAuth(t *testing.T) {
	h := newHarness(t, Config{})
	resp := h.post("", modernBody(1, "tools/list", "", ""), modernHeaders("tools/list", ""), withKey(""))
	httpStatus(t, resp, http.StatusUnauthorized, -32001)
	resp = h.post("", modernBody(1, "tools/list", "", ""), modernHeaders("tools/list", ""), withKey(agentKey))
	httpStatus(t, resp, http.StatusForbidden, -32001)
}

const sampleCaps = `"io.modelcontextprotocol/clientCapabilities":{"sampling":{}}`

// sampleBody is a tools/call of util__sample by a client that declares sampling.
func sampleBody(id int, extraParams string) string {
	b := modernBody(id, "tools/call", `{"name":"util__sample"`+extraParams+`}`, "")
	return strings.Replace(b, `"io.modelcontextprotocol/clientCapabilities":{}`, sampleCaps, 1)
}

// inputRequired checks an input_required result and returns its requestState and the key
// of its one input request.
func inputRequired(t *testing.T, m rpcMsg) (state, key string) {
	t.Helper()
	var r struct {
		ResultType    string
		RequestState  string
		InputRequests map[string]struct {
			Method string
			Params json.RawMessage
		}
	}
	if m.Error != nil || json.Unmarshal(m.Result, &r) != nil {
		t.Fatalf("want input_required, got %s %+v", m.Result, m.Error)
	}
	if r.ResultType != "input_required" || !strings.HasPrefix(r.RequestState, statePrefix) || len(r.InputRequests) != 1 {
		t.Fatalf("input_required result %s", m.Result)
	}
	for k, v := range r.InputRequests {
		if v.Method != "sampling/createMessage" || !strings.Contains(string(v.Params), "say hi") {
			t.Fatalf("input request %s: %s %s", k, v.Method, v.Params)
		}
		key = k
	}
	return r.RequestState, key
}

// TestModernInputRequired: the backend's sampling request becomes an input_required
// result; the retry with inputResponses resumes the same backend call. A token is the
// caller's alone, single use, and refused once expired.
func TestModernInputRequired(t *testing.T) {
	h := newHarness(t, Config{})
	hdr := modernHeaders("tools/call", "util__sample")
	state, key := inputRequired(t, h.reply(h.post("", sampleBody(1, ""), hdr)))
	if n := h.up.count(); n != 1 {
		t.Fatalf("%d upstream calls, want 1", n)
	}
	if key != "backend-1" {
		t.Errorf("input request key %q, want the backend's request id backend-1", key)
	}
	answer := `,"inputResponses":{"` + key + `":{"role":"assistant","model":"m","content":{"type":"text","text":"hello"}}},"requestState":"` + state + `"`

	// Another caller cannot use the token, and it stays valid for its owner.
	resp := h.post("", sampleBody(2, answer), hdr, withKey(bobKey))
	if m := h.reply(resp); m.Error == nil || m.Error.Code != codeInvalidParams {
		t.Fatalf("bob's retry: %+v", m)
	}

	m := h.reply(h.post("", sampleBody(3, answer), hdr))
	var out struct{ Answer struct{ Model string } }
	toolText(t, m, &out)
	if out.Answer.Model != "m" || string(m.ID) != "3" {
		t.Errorf("result %s id %s", m.Result, m.ID)
	}
	if r := resultMap(t, m); string(r["resultType"]) != `"complete"` {
		t.Errorf("resultType %s", r["resultType"])
	}
	if n := h.up.count(); n != 1 {
		t.Errorf("%d upstream calls, want the one call resumed", n)
	}
	// Single use.
	if m := h.reply(h.post("", sampleBody(4, answer), hdr)); m.Error == nil || m.Error.Code != codeInvalidParams {
		t.Errorf("second retry with the same token: %+v", m)
	}
	// Without the sampling capability the backend is refused, no input_required.
	m = h.modern(5, "tools/call", "util__sample", `{"name":"util__sample"}`, "")
	var refused struct{ Refused string }
	toolText(t, m, &refused)
	if !strings.Contains(refused.Refused, "capability") {
		t.Errorf("without sampling: %s", m.Result)
	}
}

// withTools sets the tools of the hub-local backend "util".
func (h *harness) withTools(tools ...string) {
	b := hubBackends()
	b[0].Tools = items("name", tools...)
	h.router.Set("", b)
}

// TestModernResultsNameTheHub: every result a stateless client gets carries the hub's
// io.modelcontextprotocol/serverInfo in _meta (2026-07-28, basic/index "Per-response
// protocol fields": SHOULD on every result): results the hub builds (discover, lists,
// input_required) and backends' results, whose own serverInfo the hub replaces (it is the
// server its client talks to) while their other _meta keys pass. A session client's results
// (2025 era, which has no such field) are left as the backend sent them.
func TestModernResultsNameTheHub(t *testing.T) {
	h := newHarness(t, Config{ServerName: "gw-test", ServerVersion: "9.9"})
	h.withTools("echo", "meta", "sample")
	const want = `{"name":"gw-test","version":"9.9"}`
	check := func(what string, m rpcMsg) map[string]json.RawMessage {
		t.Helper()
		r := resultMap(t, m)
		var meta map[string]json.RawMessage
		if err := json.Unmarshal(r["_meta"], &meta); err != nil || string(meta[mcp.MetaServerInfo]) != want {
			t.Errorf("%s: _meta %s, want serverInfo %s", what, r["_meta"], want)
		}
		return meta
	}
	check("server/discover", h.modern(1, "server/discover", "", "", ""))
	check("tools/list", h.modern(2, "tools/list", "", "", ""))
	check("prompts/list", h.modern(3, "prompts/list", "", "", ""))
	check("resources/list", h.modern(4, "resources/list", "", "", ""))
	check("resources/read", h.modern(5, "resources/read", "mcpgw://util/file:///a.txt", `{"uri":"mcpgw://util/file:///a.txt"}`, ""))
	check("prompts/get", h.modern(6, "prompts/get", "util__greet", `{"name":"util__greet"}`, ""))
	check("tools/call", h.modern(7, "tools/call", "util__echo", `{"name":"util__echo"}`, ""))
	meta := check("a backend that names itself", h.modern(8, "tools/call", "util__meta", `{"name":"util__meta"}`, ""))
	if string(meta["vendor/key"]) != "1" {
		t.Errorf("the backend's own _meta key: %v", meta)
	}
	hdr := modernHeaders("tools/call", "util__sample")
	m := h.reply(h.post("", sampleBody(9, ""), hdr))
	check("input_required", m)
	state, key := inputRequired(t, m)
	answer := `,"inputResponses":{"` + key + `":{"role":"assistant","model":"m","content":{"type":"text","text":"hi"}}},"requestState":"` + state + `"`
	check("the retry's result", h.reply(h.post("", sampleBody(10, answer), hdr)))

	sid := h.initialize("2025-11-25", "")
	r := resultMap(t, h.rpc(sid, 11, "tools/call", `{"name":"util__meta"}`))
	if !strings.Contains(string(r["_meta"]), `"name":"backend"`) || strings.Contains(string(r["_meta"]), "gw-test") {
		t.Errorf("session client: _meta %s, want the backend's own", r["_meta"])
	}
}

// TestModernBackendInputRequestsAreNotComplete: a backend result that carries inputRequests
// and no resultType (a legacy go-sdk server's second round) reaches a stateless client as
// input_required, with the backend's own keys and requestState, never labelled complete.
func TestModernBackendInputRequestsAreNotComplete(t *testing.T) {
	h := newHarness(t, Config{})
	h.withTools("asks")
	r := resultMap(t, h.modern(1, "tools/call", "util__asks", `{"name":"util__asks"}`, ""))
	if string(r["resultType"]) != `"input_required"` || string(r["requestState"]) != `"round=2"` ||
		!strings.Contains(string(r["inputRequests"]), `"step2":{"method":"elicitation/create"`) {
		t.Errorf("result %v: want input_required with the backend's step2 and round=2", r)
	}
	if _, ok := r["ttlMs"]; ok {
		t.Errorf("an input_required result got cache hints: %v", r)
	}
}

// TestModernInputRequestsTogether: two server→client requests that a backend sends a
// moment apart for one call reach the client together, in one input_required result, keyed
// by the backend's request ids; one retry answers both.
func TestModernInputRequestsTogether(t *testing.T) {
	h := newHarness(t, Config{InputGather: 3 * time.Second})
	h.withTools("ask2")
	hdr := modernHeaders("tools/call", "util__ask2")
	body := func(id int, extra string) string {
		b := modernBody(id, "tools/call", `{"name":"util__ask2"`+extra+`}`, "")
		return strings.Replace(b, `"io.modelcontextprotocol/clientCapabilities":{}`, `"io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}`, 1)
	}
	var r struct {
		ResultType    string
		RequestState  string
		InputRequests map[string]struct{ Method string }
	}
	m := h.reply(h.post("", body(1, ""), hdr))
	if m.Error != nil || json.Unmarshal(m.Result, &r) != nil || r.ResultType != "input_required" {
		t.Fatalf("want input_required, got %s %+v", m.Result, m.Error)
	}
	if len(r.InputRequests) != 2 || r.InputRequests["b-1"].Method != "elicitation/create" || r.InputRequests["b-2"].Method != "elicitation/create" {
		t.Fatalf("inputRequests %s: want b-1 and b-2 together", m.Result)
	}
	answer := `,"inputResponses":{"b-1":{"action":"accept","content":{"n":1}},"b-2":{"action":"accept","content":{"n":2}}},"requestState":"` + r.RequestState + `"`
	var out struct{ Answers []map[string]any }
	toolText(t, h.reply(h.post("", body(2, answer), hdr)), &out)
	if len(out.Answers) != 2 || fmt.Sprint(out.Answers[1]["content"]) != "map[n:2]" {
		t.Errorf("answers %+v", out.Answers)
	}
}

// TestModernInputTimeout: a client that never retries ends its backend call after the
// timeout, and its token no longer works.
func TestModernInputTimeout(t *testing.T) {
	h := newHarness(t, Config{InputTimeout: 50 * time.Millisecond})
	hdr := modernHeaders("tools/call", "util__sample")
	state, key := inputRequired(t, h.reply(h.post("", sampleBody(1, ""), hdr)))
	if n := h.gw.inputs.count(); n != 1 {
		t.Fatalf("%d waiting calls, want 1", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for h.gw.inputs.count() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the waiting call did not time out")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The abandoned backend call is cancelled, not left waiting.
	select {
	case name := <-h.up.cancelled:
		if name != "sample" {
			t.Errorf("cancelled %q, want the sample call", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the backend call of an abandoned retry was not cancelled")
	}
	answer := `,"inputResponses":{"` + key + `":{"role":"assistant","model":"m","content":{"type":"text","text":"x"}}},"requestState":"` + state + `"`
	if m := h.reply(h.post("", sampleBody(2, answer), hdr)); m.Error == nil || !strings.Contains(m.Error.Message, "expired") {
		t.Errorf("retry after the timeout: %+v", m)
	}
}

// TestModernInputBound: the calls waiting for input are bounded; one over the bound is
// refused and its backend call cancelled.
func TestModernInputBound(t *testing.T) {
	h := newHarness(t, Config{MaxWaitingInputs: 1})
	hdr := modernHeaders("tools/call", "util__sample")
	inputRequired(t, h.reply(h.post("", sampleBody(1, ""), hdr)))
	m := h.reply(h.post("", sampleBody(2, ""), hdr))
	if m.Error == nil || m.Error.Code != codeInternal || !strings.Contains(m.Error.Message, "too many") {
		t.Errorf("over the bound: %s %+v", m.Result, m.Error)
	}
}

// TestModernCancel: closing the response stream cancels the backend call.
func TestModernCancel(t *testing.T) {
	h := newHarness(t, Config{})
	r := h.request(http.MethodPost, "/mcp", modernBody(1, "tools/call", `{"name":"util__slow"}`, ""))
	modernHeaders("tools/call", "util__slow")(r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := h.client.Do(r); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, h.up.started, "slow call")
	h.srv.CloseClientConnections()
	waitFor(t, h.up.cancelled, "cancelled backend call")
	<-done
}

// TestModernInputWrongMethod: a token used for another method is refused and the call it
// named ends.
func TestModernInputWrongMethod(t *testing.T) {
	h := newHarness(t, Config{})
	state, _ := inputRequired(t, h.reply(h.post("", sampleBody(1, ""), modernHeaders("tools/call", "util__sample"))))
	body := strings.Replace(modernBody(2, "prompts/get", `{"name":"util__greet","requestState":"`+state+`"}`, ""),
		`"io.modelcontextprotocol/clientCapabilities":{}`, sampleCaps, 1)
	m := h.reply(h.post("", body, modernHeaders("prompts/get", "util__greet")))
	if m.Error == nil || m.Error.Code != codeInvalidParams || !strings.Contains(m.Error.Message, "tools/call") {
		t.Errorf("token of a tools/call used for prompts/get: %s %+v", m.Result, m.Error)
	}
	if n := h.gw.inputs.count(); n != 0 {
		t.Errorf("%d calls still waiting", n)
	}
}

// TestModernDebugLog: at debug level each stateless request is logged with its client's
// self-reported name and its trace context, for following one request across hops.
func TestModernDebugLog(t *testing.T) {
	var buf syncbuf.Buffer
	r := router.New(nil)
	r.Set("", hubBackends())
	gw := New(Config{KeepAlive: time.Hour}, keys, r, newFakeUpstream(), slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	mux := http.NewServeMux()
	gw.Mount(mux)
	body := modernBody(1, "tools/list", "", `,"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"`)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+aliceKey)
	req.Header.Set("Accept", "application/json")
	modernHeaders("tools/list", "")(req)
	mux.ServeHTTP(httptest.NewRecorder(), req)
	got := buf.String()
	for _, want := range []string{"stateless request", "method=tools/list", "user=alice", `\"name\":\"raw\"`, "traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q lacks %q", got, want)
		}
	}
}
