package control

import (
	"encoding/json"
	"testing"
)

// ParseRequest never panics, and accepts exactly the known ops.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{`{"op":"snapshot"}`, `{"op":"subscribe"}`, `{"op":"reconnect"}`, `{"op":"check_update"}`,
		`{"op":"x"}`, `{}`, `[]`, `null`, `{"op":1}`, `{"op":"snapshot","more":[1,2]}`, "\xff", ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := ParseRequest(line)
		if err == nil && r.Op != OpSnapshot && r.Op != OpSubscribe && r.Op != OpReconnect && r.Op != OpCheckUpdate {
			t.Fatalf("accepted op %q", r.Op)
		}
	})
}

// ParseMessage never panics, and an accepted message has the body its type needs.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{`{"type":"snapshot","snapshot":{"state":"connected","calls":[{"tool":"t"}]}}`,
		`{"type":"log","log":{"seq":1,"message":"m"}}`, `{"type":"ok","message":"done"}`, `{"type":"error","error":"no"}`,
		`{"type":"snapshot"}`, `{"type":"log","log":null}`, `{"type":"what"}`, `{"type":"snapshot","snapshot":{"retryIn":"x"}}`, `}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := ParseMessage(line)
		if err != nil {
			return
		}
		if m.Type == TypeSnapshot && m.Snapshot == nil || m.Type == TypeLog && m.Log == nil {
			t.Fatalf("accepted %s without a body", m.Type)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("accepted message does not encode again: %v", err)
		}
	})
}
