package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// The wire type ids are a contract with deployed agents: this test pins them.
func TestTypeIDsPinned(t *testing.T) {
	want := map[Type]uint8{
		TypeHello: 1, TypeWelcome: 2, TypeRefusal: 3, TypeUpdate: 4, TypeEvent: 5,
		TypeCall: 16, TypeNotify: 17, TypeRequest: 18, TypeResponse: 19, TypeResult: 20, TypeCancel: 21,
	}
	for typ, id := range want {
		if uint8(typ) != id {
			t.Errorf("%s = %d, pinned %d", typ, uint8(typ), id)
		}
	}
	if len(typeNames) != len(want) {
		t.Errorf("%d frame types named, %d pinned: pin the new one", len(typeNames), len(want))
	}
}

// The JSON field names are pinned by golden encodings.
func TestWireFormPinned(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{Hello{AgentID: "laptop", Version: "v1", Capability: 1, Backends: []Backend{{
			Name: "fs", Transport: "stdio", Naming: "auto", State: StateReady,
			Tools: []json.RawMessage{json.RawMessage(`{"name":"read"}`)},
		}}}, `{"agentId":"laptop","version":"v1","capability":1,"backends":[{"name":"fs","transport":"stdio","naming":"auto","state":"ready","tools":[{"name":"read"}]}]}`},
		{Backend{Name: "web", Transport: "http", State: StateReady, ProtocolVersion: "2026-07-28"},
			`{"name":"web","transport":"http","state":"ready","protocolVersion":"2026-07-28"}`},
		{Backend{Name: "slow", Transport: "stdio", State: StateStarting, Limits: &Limits{TimeoutMs: 30000, MaxConcurrent: 4, MaxQueue: 8}},
			`{"name":"slow","transport":"stdio","state":"starting","limits":{"timeoutMs":30000,"maxConcurrent":4,"maxQueue":8}}`},
		{Backend{Name: "flaky", Transport: "stdio", State: StateFailed, Error: "server exited", Restarts: 3, LastRestart: 1765000000000, LastError: "server exited"},
			`{"name":"flaky","transport":"stdio","state":"failed","error":"server exited","restarts":3,"lastRestart":1765000000000,"lastError":"server exited"}`},
		{Welcome{AgentID: "laptop", Capability: 1, HubVersion: "v2"}, `{"agentId":"laptop","capability":1,"hubVersion":"v2"}`},
		{Refusal{Code: RefuseAgentID, Message: "no"}, `{"code":"agent_id_mismatch","message":"no"}`},
		{Update{Removed: []string{"fs"}}, `{"removed":["fs"]}`},
		{Event{Backend: "fs", Message: json.RawMessage(`{"jsonrpc":"2.0"}`)}, `{"backend":"fs","message":{"jsonrpc":"2.0"}}`},
		{Call{Backend: "fs", Message: json.RawMessage(`{"id":1}`), Caller: Caller{UserID: "u", Name: "alice", Role: "r", KeyID: "k", Application: "cursor", Session: "s"}, Deadline: 5},
			`{"backend":"fs","message":{"id":1},"caller":{"userId":"u","name":"alice","role":"r","keyId":"k","application":"cursor","session":"s"},"deadline":5}`},
		{Call{Backend: "web", Message: json.RawMessage(`{"id":2}`), PassInputRequired: true, ClientCapabilities: json.RawMessage(`{"sampling":{}}`)},
			`{"backend":"web","message":{"id":2},"caller":{},"passInputRequired":true,"clientCapabilities":{"sampling":{}}}`},
		{Cancel{Reason: "client gone"}, `{"reason":"client gone"}`},
		{CallFailure{Failure: FailureUnavailable}, `{"failure":"unavailable"}`},
	}
	for _, c := range cases {
		got, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%T:\n got %s\nwant %s", c.v, got, c.want)
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, TypeHello, Hello{AgentID: "a", Capability: CapabilityVersion}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(&buf, TypeResult, []byte(`{"jsonrpc":"2.0","id":1,"result":{}}`)); err != nil {
		t.Fatal(err)
	}
	var h Hello
	if err := ReadJSON(&buf, TypeHello, &h); err != nil || h.AgentID != "a" {
		t.Fatalf("hello: %+v %v", h, err)
	}
	typ, p, err := ReadFrame(&buf)
	if err != nil || typ != TypeResult || string(p) != `{"jsonrpc":"2.0","id":1,"result":{}}` {
		t.Fatalf("result: %v %q %v", typ, p, err)
	}
	if _, _, err := ReadFrame(&buf); err != io.EOF {
		t.Fatalf("clean end: got %v, want io.EOF", err)
	}
}

func TestFrameErrors(t *testing.T) {
	if _, _, err := ReadFrame(bytes.NewReader([]byte{1, 0xff, 0xff, 0xff, 0xff})); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("huge length: %v", err)
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{1, 0, 0, 0, 9, '{'})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short payload: %v", err)
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{1, 0})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short header: %v", err)
	}
	var buf bytes.Buffer
	_ = WriteFrame(&buf, TypeWelcome, []byte(`{}`))
	if err := ReadJSON(&buf, TypeHello, &Hello{}); err == nil {
		t.Error("wrong frame type accepted")
	}
	if len(Changelog) == 0 || Changelog[len(Changelog)-1].Version != CapabilityVersion {
		t.Error("Changelog must end with the current CapabilityVersion")
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 2, '{', '}'})
	f.Add([]byte{16, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			typ, p, err := ReadFrame(r)
			if err != nil {
				return
			}
			var buf bytes.Buffer
			if err := WriteFrame(&buf, typ, p); err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			var anyMsg map[string]any
			_ = Decode(typ, p, &anyMsg)
		}
	})
}

// Capability numbers are wire format: a peer decides what it may send by them.
func TestCapabilityNumbersPinned(t *testing.T) {
	if CapabilityLanes != 3 || CapabilityDirect != 4 || CapabilityVersion != 4 || MinCapabilityVersion != 1 {
		t.Fatalf("lanes %d, direct %d, version %d, min %d", CapabilityLanes, CapabilityDirect, CapabilityVersion, MinCapabilityVersion)
	}
	last := Changelog[len(Changelog)-1]
	if last.Version != CapabilityDirect || last.Date != "2026-12-07" || !strings.Contains(last.Note, "0xD1") {
		t.Fatalf("last changelog entry %+v", last)
	}
}
