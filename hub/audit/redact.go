package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Redacted replaces every redacted value.
const Redacted = "[REDACTED]"

// maxParseBytes bounds the payloads Payload parses to redact key by key. A larger one is
// recorded as its size only: redacting it would cost the hot path too much, and storing it
// unredacted is not an option.
const maxParseBytes = 256 << 10

// secretKeySuffixes are always redacted: a JSON key whose normalised form (lower case,
// without '-', '_' and '.') ends with one of these has its whole value replaced.
var secretKeySuffixes = []string{
	"password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey",
	"privatekey", "authorization", "cookie", "credential", "credentials", "sessionid", "pwd",
}

// stringSecretKeySuffix: a key ending so ("auth", "oauth") has its value replaced when it is
// a string (a credential); an object under it is redacted member by member instead.
const stringSecretKeySuffix = "auth"

// secretPattern is an always-on pattern for secrets inside string values and free text.
// The pattern is tried only on text that contains one of triggers (lower-case literals).
type secretPattern struct {
	triggers []string
	re       *regexp.Regexp
	repl     string
}

var secretPatterns = []secretPattern{
	{[]string{"mcpgw_"}, regexp.MustCompile(`mcpgw_[A-Za-z0-9_-]{8,}`), Redacted},
	{[]string{"bearer"}, regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/-]+=*`), "Bearer " + Redacted},
	{[]string{"basic"}, regexp.MustCompile(`(?i)\bbasic\s+[A-Za-z0-9+/]{8,}=*`), "Basic " + Redacted},
	{[]string{"private key"}, regexp.MustCompile(`-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY-----|$)`), Redacted},
	{[]string{"akia", "asia"}, regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`), Redacted},
	{[]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`), Redacted},
	{[]string{"xox"}, regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`), Redacted},
	{[]string{"sk-"}, regexp.MustCompile(`\bsk-[A-Za-z0-9_-]{20,}`), Redacted},
	{[]string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"}, regexp.MustCompile(`\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}`), Redacted},
	{[]string{"aiza"}, regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`), Redacted},
	{[]string{"eyj"}, regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`), Redacted},
	{[]string{"://"}, regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@`), "://" + Redacted + "@"},
	{[]string{"password", "passwd", "secret", "token", "api"}, regexp.MustCompile(`(?i)\b(password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)[^\s&,;"']+`), "${1}${2}" + Redacted},
}

// Redactor removes secrets from payloads before they are recorded. Always on: values of
// keys named like secrets (secretKeySuffixes) and strings matching known secret forms
// (mcpgw_ keys, bearer and basic credentials, private keys, AWS, GitHub, Slack, Stripe,
// Google and sk- keys, JWTs, URL passwords, password=… assignments), in values and keys. Configured: more key names (exact,
// normalised like the built-in ones) and regular expressions whose matches are replaced.
type Redactor struct {
	keys     map[string]bool
	patterns []*regexp.Regexp
	max      int
}

// NewRedactor builds a Redactor; maxBytes bounds Payload's result (0: 4096).
func NewRedactor(keys, patterns []string, maxBytes int) (*Redactor, error) {
	if maxBytes <= 0 {
		maxBytes = 4096
	}
	r := &Redactor{keys: map[string]bool{}, max: maxBytes}
	for _, k := range keys {
		if n := normKey(k); n != "" {
			r.keys[n] = true
		}
	}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("audit: redact pattern %q: %w", p, err)
		}
		r.patterns = append(r.patterns, re)
	}
	return r, nil
}

func normKey(k string) string {
	k = strings.ToLower(k)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r == ' ' {
			return -1
		}
		return r
	}, k)
}

// SecretName reports whether a key or flag name (such as "api_key" or "--password") names a
// secret by the always-on and configured rules.
func (r *Redactor) SecretName(name string) bool { return r.secretKey(strings.TrimLeft(name, "-")) }

func (r *Redactor) secretKey(k string) bool {
	n := normKey(k)
	if r.keys[n] {
		return true
	}
	for _, s := range secretKeySuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// Text redacts secrets in free text (an error message, a string value).
func (r *Redactor) Text(s string) string {
	if len(s) < 8 {
		return s
	}
	lower := strings.ToLower(s)
	for _, p := range secretPatterns {
		for _, t := range p.triggers {
			if strings.Contains(lower, t) {
				s = p.re.ReplaceAllString(s, p.repl)
				break
			}
		}
	}
	for _, re := range r.patterns {
		s = re.ReplaceAllString(s, Redacted)
	}
	return s
}

// Payload returns raw redacted as JSON text of at most about the configured maximum:
// a JSON document keeps its form, with secret keys' values replaced and secrets in strings
// redacted; other
// text becomes a redacted JSON string; a result too long becomes
// {"truncated":true,"size":N,"prefix":"…"}. An empty payload gives "".
func (r *Redactor) Payload(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	if len(raw) > maxParseBytes {
		return fmt.Sprintf(`{"truncated":true,"size":%d,"prefix":""}`, len(raw))
	}
	var out []byte
	if json.Valid(raw) {
		bp := recordBufs.Get().(*[]byte)
		out = r.redactJSON((*bp)[:0], raw)
		defer func() { *bp = out[:0]; recordBufs.Put(bp) }()
	} else {
		out = marshal(r.Text(string(raw)))
	}
	if len(out) <= r.max {
		return string(out)
	}
	return truncated(len(raw), out, r.max)
}

// marshal encodes without HTML escaping, so payloads read as sent.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`"unencodable payload"`)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// truncated wraps the start of an (already redacted) text in a JSON object that says so.
func truncated(size int, text []byte, max int) string {
	prefix := truncateText(string(text), max-64)
	return string(marshal(struct {
		Truncated bool   `json:"truncated"`
		Size      int    `json:"size"`
		Prefix    string `json:"prefix"`
	}{true, size, prefix}))
}

// truncateText cuts s to at most n bytes at a UTF-8 boundary.
func truncateText(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
