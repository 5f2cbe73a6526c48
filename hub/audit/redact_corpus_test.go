package audit_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
)

// corpusEntry is one line of testdata/redact/*.jsonl: a payload as a client or backend
// would send it (JSON text) and, for secrets, the part that must not reach the audit trail.
type corpusEntry struct {
	Name   string `json:"name"`
	In     string `json:"in"`
	Secret string `json:"secret"`
}

func readCorpus(t testing.TB, file string) []corpusEntry {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "redact", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var e corpusEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Name == "" || !json.Valid([]byte(e.In)) {
			t.Fatalf("%s:%d: not a corpus entry with a JSON payload: %v", file, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRedactionCorpus: every secret in testdata/redact/secrets.jsonl is redacted from a
// payload (and from free text, as in an error message), and every near-miss in
// near_misses.jsonl — words, ids and commands that only look like secrets — is kept as is.
func TestRedactionCorpus(t *testing.T) {
	r, err := audit.NewRedactor(nil, nil, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range readCorpus(t, "secrets.jsonl") {
		if e.Secret == "" || !strings.Contains(e.In, e.Secret) {
			t.Fatalf("secrets.jsonl %q: its secret must be a part of its payload", e.Name)
		}
		got := r.Payload([]byte(e.In))
		if strings.Contains(got, e.Secret) || !strings.Contains(got, audit.Redacted) {
			t.Errorf("secret %s: not redacted from the payload:\n in  %s\n got %s", e.Name, e.In, got)
		}
		var text string
		if json.Unmarshal([]byte(e.In), &text) == nil { // a string payload is also an error's text
			if got := r.Text(text); strings.Contains(got, e.Secret) {
				t.Errorf("secret %s: not redacted from text:\n in  %s\n got %s", e.Name, text, got)
			}
		}
	}
	for _, e := range readCorpus(t, "near_misses.jsonl") {
		if got := r.Payload([]byte(e.In)); got != e.In {
			t.Errorf("near-miss %s: changed:\n in  %s\n got %s", e.Name, e.In, got)
		}
	}
}
