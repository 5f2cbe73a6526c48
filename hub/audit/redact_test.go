package audit_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
)

func TestPayloadRedactsSecretsAndKeepsTheRest(t *testing.T) {
	r, err := audit.NewRedactor([]string{"SSN", "customer-id"}, []string{`\b\d{4}-\d{4}-\d{4}-\d{4}\b`}, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, in, want string }{
		{"secret keys, nested", `{"user":"al","password":"p","auth":{"api_key":"k","Client-Secret":"s"},"list":[{"accessToken":"t"}]}`,
			`{"user":"al","password":"[REDACTED]","auth":{"api_key":"[REDACTED]","Client-Secret":"[REDACTED]"},"list":[{"accessToken":"[REDACTED]"}]}`},
		{"a secret key's object value goes whole", `{"credentials":{"user":"a","pw":"b"}}`, `{"credentials":"[REDACTED]"}`},
		{"configured keys, normalised", `{"ssn":"123","CUSTOMER_ID":"c9","customer":"kept"}`, `{"ssn":"[REDACTED]","CUSTOMER_ID":"[REDACTED]","customer":"kept"}`},
		{"look-alike keys are kept", `{"max_tokens":100,"tokens":3,"secretary":"x","passage":"y"}`, `{"max_tokens":100,"tokens":3,"secretary":"x","passage":"y"}`},
		{"mcpgw key in a value", `{"q":"use mcpgw_ABCDEFGHijklmnop1234 now"}`, `{"q":"use [REDACTED] now"}`},
		{"bearer header", `{"h":"Authorization: Bearer abc.def-ghi"}`, `{"h":"Authorization: Bearer [REDACTED]"}`},
		{"AWS key", `["AKIAIOSFODNN7EXAMPLE"]`, `["[REDACTED]"]`},
		{"GitHub token", `"ghp_abcdefghijklmnopqrstuvwxyz0123456789"`, `"[REDACTED]"`},
		{"JWT", `"eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl"`, `"[REDACTED]"`},
		{"private key", `{"k":"-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"}`, `{"k":"[REDACTED]"}`},
		{"URL password", `{"u":"postgres://bob:s3cret@db/x"}`, `{"u":"postgres://[REDACTED]@db/x"}`},
		{"assignment in text", `{"cmd":"login --password=hunter2 --user bob"}`, `{"cmd":"login --password=[REDACTED] --user bob"}`},
		{"configured pattern", `{"card":"pay 4111-1111-1111-1111 ok"}`, `{"card":"pay [REDACTED] ok"}`},
		{"numbers keep their form", `{"n":12345678901234567890,"f":1.50}`, `{"n":12345678901234567890,"f":1.50}`},
		{"no HTML escaping", `{"q":"a<b>&c"}`, `{"q":"a<b>&c"}`},
		{"not JSON becomes a redacted string", `token=abc123 and more`, `"token=[REDACTED] and more"`},
		{"trailing data is not JSON", `{"a":1} {"b":2}`, `"{\"a\":1} {\"b\":2}"`},
		{"empty", ``, ``},
		{"spacing and escapes kept", "{ \"a\" : [ 1 , \"x\\u0041\" ] ,\n \"pass\\u0077ord\": {\"n\": [1,{}]} }", "{ \"a\" : [ 1 , \"x\\u0041\" ] ,\n \"pass\\u0077ord\": \"[REDACTED]\" }"},
		{"escaped secret in a string", `["tok\u0065n=abc123"]`, `["token=[REDACTED]"]`},
		{"invalid UTF-8 becomes valid", "{\"a\":\"\xff ok\"}", "{\"a\":\"\ufffd ok\"}"},
		{"ordinary text", `{"path":"/home/bob/notes.txt","content":"hello world"}`, `{"path":"/home/bob/notes.txt","content":"hello world"}`},
	} {
		if got := r.Payload([]byte(c.in)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestPayloadTruncates(t *testing.T) {
	r, _ := audit.NewRedactor(nil, nil, 200)
	in := `{"password":"x","data":"` + strings.Repeat("é", 500) + `"}`
	got := r.Payload([]byte(in))
	var v struct {
		Truncated bool
		Size      int
		Prefix    string
	}
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("truncated payload is not JSON: %v\n%s", err, got)
	}
	if !v.Truncated || v.Size != len(in) || len(v.Prefix) > 200 || strings.Contains(v.Prefix, `"x"`) {
		t.Errorf("truncated payload = %+v", v)
	}
	huge := `{"password":"x","data":"` + strings.Repeat("a", 300<<10) + `"}`
	if got := r.Payload([]byte(huge)); strings.Contains(got, `"x"`) || !strings.Contains(got, `"truncated":true`) {
		t.Errorf("a payload too large to parse: %s", got)
	}
}

func TestTextRedaction(t *testing.T) {
	r, _ := audit.NewRedactor(nil, nil, 0)
	for in, want := range map[string]string{
		"dial failed: bearer xyz123456 rejected": "dial failed: Bearer [REDACTED] rejected",
		"key mcpgw_0123456789abcdef revoked":     "key [REDACTED] revoked",
		"slack xoxb-1234567890-abcdef":           "slack [REDACTED]",
		"openai sk-ant-abcdefghijklmnopqrstuvwx": "openai [REDACTED]",
		"basic dXNlcjpwYXNzd29yZA==":             "Basic [REDACTED]",
		"plain error, nothing secret":            "plain error, nothing secret",
		"short":                                  "short",
	} {
		if got := r.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzPayload(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"password":"x"}`, `[1,2,"mcpgw_abcdefghijk"]`, `not json`, `"\u00e9"`, `{"a":`, ``} {
		f.Add([]byte(s))
	}
	for _, file := range []string{"secrets.jsonl", "near_misses.jsonl"} {
		for _, e := range readCorpus(f, file) {
			f.Add([]byte(e.In))
		}
	}
	r, _ := audit.NewRedactor([]string{"k"}, []string{"secret"}, 128)
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := r.Payload(raw)
		if got != "" && !json.Valid([]byte(got)) {
			t.Fatalf("Payload(%q) = %q, not JSON", raw, got)
		}
		if len(got) > 2*128+1024 {
			t.Fatalf("Payload(%q) is %d bytes", raw, len(got))
		}
	})
}

// Secrets that once escaped the always-on rules: Stripe and Google API keys in values,
// keys named pwd or auth, and a secret used as an object key (a map keyed by token).
func TestPayloadRedactsMoreSecretForms(t *testing.T) {
	r, err := audit.NewRedactor(nil, nil, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, in, want string }{
		{"Stripe secret key", `{"q":"charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc now"}`, `{"q":"charge with [REDACTED] now"}`},
		{"Stripe restricted key", `["rk_test_51H8abcdefghijKLMNOP"]`, `["[REDACTED]"]`},
		{"Google API key", `{"u":"https://maps.googleapis.com/x?key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"}`, `{"u":"https://maps.googleapis.com/x?key=[REDACTED]"}`},
		{"pwd key", `{"user":"bob","pwd":"hunter2"}`, `{"user":"bob","pwd":"[REDACTED]"}`},
		{"auth key", `{"auth":"s3cr3t-value","oauth":"x"}`, `{"auth":"[REDACTED]","oauth":"[REDACTED]"}`},
		{"secret as an object key", `{"ghp_abcdefghijklmnopqrstuvwxyz0123456789":"valid"}`, `{"[REDACTED]":"valid"}`},
		{"look-alikes kept", `{"author":"x","skill":"sk_short","pwdless":true}`, `{"author":"x","skill":"sk_short","pwdless":true}`},
	} {
		if got := r.Payload([]byte(c.in)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestRedactionFoldsLikeThePatterns is a regression test: secrets whose names are spelled
// with a rune that case-insensitive matching takes for an ASCII letter (the Kelvin sign for
// 'k', the long s for 's') were stored in clear. Payload's byte filter and its fast key
// path, and Text's trigger scan, looked for ASCII letters only, while the patterns and the
// key rules matched them.
func TestRedactionFoldsLikeThePatterns(t *testing.T) {
	r, err := audit.NewRedactor([]string{"contraseña"}, nil, 4096)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{
		"api_\u212aey=abcdef123456",     // Kelvin sign in "key"
		"pa\u017f\u017fword=hunter2xyz", // long s in "password"
		"client_\u017fecret: hunter2xyz",
		"ba\u017fic dXNlcjpwYXNzd29yZA==", // Basic credentials
	} {
		if got := r.Text("note " + secret); strings.Contains(got, "hunter2xyz") || strings.Contains(got, "abcdef123456") || strings.Contains(got, "dXNlcjpwYXNzd29yZA") {
			t.Errorf("Text kept the secret: %q", got)
		}
		payload, _ := json.Marshal(map[string]string{"a": "note " + secret})
		if got := r.Payload(payload); strings.Contains(got, "hunter2xyz") || strings.Contains(got, "abcdef123456") || strings.Contains(got, "dXNlcjpwYXNzd29yZA") {
			t.Errorf("Payload kept the secret: %s", got)
		}
	}
	// Keys: raw UTF-8 (no escape), so the fast key path sees them.
	for _, key := range []string{"api_\u212aey", "pa\u017f\u017fword", "CONTRASEÑA", "x-api-\u212aey"} {
		payload := []byte(`{"` + key + `":"hunter2xyz","other":"kept"}`)
		got := r.Payload(payload)
		if strings.Contains(got, "hunter2xyz") || !strings.Contains(got, "kept") {
			t.Errorf("Payload(%s) = %s: the key's value must go, the rest stay", payload, got)
		}
	}
	// Both ways: the same text without a secret name is kept.
	if got := r.Payload([]byte(`{"a":"ba\u017fin=lake"}`)); !strings.Contains(got, "lake") {
		t.Errorf("Payload redacted a harmless value: %s", got)
	}
}
