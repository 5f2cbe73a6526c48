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
	"accountkey", "sharedaccesssignature",
}

// secretKeysExact are redacted only as the whole (normalised) key: as suffixes they would
// take "compass", "bypass" or "cpw" along.
var secretKeysExact = map[string]bool{"pass": true, "pw": true, "sig": true}

// stringSecretKeySuffix: a key ending so ("auth", "oauth") has its value replaced when it is
// a string (a credential); an object under it is redacted member by member instead.
const stringSecretKeySuffix = "auth"

// secretPattern is an always-on pattern for secrets inside string values and free text.
// The pattern is tried only on text that contains one of triggers (lower-case literals).
type secretPattern struct {
	triggers []string
	re       *regexp.Regexp
	repl     string
	// keep, when set, is asked about each match: true leaves it as it is.
	keep func(match string) bool
	// need, when set, lists bytes of which every match holds one: text without any of
	// them cannot match, and the pattern is not run.
	need string
	// may, when set, is false only for text the pattern cannot match: a cheaper test than
	// the pattern, asked before it.
	may func(s string) bool
}

// secretAssignment is a name=value or name: value whose name says the value is a secret:
// names ending like a secret key (access_token, client_secret, x-api-key, AccountKey, …), or
// the whole words pass, pw, pwd and sig (--pass=, Pwd= in ODBC strings, sig= in Azure SAS
// URLs). The name may be quoted (JSON inside a string); the value runs to the next space,
// quote, '&', ',' or ';'.
var secretAssignment = regexp.MustCompile(`(?i)(\b(?:[a-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|account[_-]?key|credentials?|sharedaccesssignature)|(?:[a-z0-9]+[_.-])*(?:pass|pwd|pw|sig))["']?\s*[=:]\s*["']?)[^\s&,;"'<>]+`)

// curlUser is curl's -u / --user user:password (also -uuser:password, --user=…, quoted).
var curlUser = regexp.MustCompile(`(^|\s)(-u\s*|--user(?:\s+|=))('[^':\s]+:[^']*'|"[^":\s]+:[^"]*"|[^\s'":]+:\S+)`)

// numericPair is a uid:gid (docker -u 1000:1000), not a credential.
var numericPair = regexp.MustCompile(`[\s=]['"]?[0-9]+:[0-9]+['"]?$`)

var secretPatterns = []secretPattern{
	{[]string{"mcpgw_"}, regexp.MustCompile(`mcpgw_[A-Za-z0-9_-]{8,}`), Redacted, nil, "", nil},
	{[]string{"bearer"}, regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/-]+=*`), "Bearer " + Redacted, nil, "", nil},
	{[]string{"basic"}, regexp.MustCompile(`(?i)\bbasic\s+[A-Za-z0-9+/]{8,}=*`), "Basic " + Redacted, nil, "", nil},
	{[]string{"private key"}, regexp.MustCompile(`-----BEGIN[A-Z ]*PRIVATE KEY-----(?s:.*?)(?:-----END[A-Z ]*PRIVATE KEY-----|$)`), Redacted, nil, "", nil},
	{[]string{"akia", "asia"}, regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`), Redacted, nil, "", nil},
	{[]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"}, regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`), Redacted, nil, "", nil},
	{[]string{"xox"}, regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`), Redacted, nil, "", nil},
	{[]string{"sk-"}, regexp.MustCompile(`\bsk-[A-Za-z0-9_-]{20,}`), Redacted, nil, "", nil},
	{[]string{"sk_live_", "sk_test_", "rk_live_", "rk_test_"}, regexp.MustCompile(`\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}`), Redacted, nil, "", nil},
	{[]string{"aiza"}, regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}`), Redacted, nil, "", nil},
	{[]string{"eyj"}, regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`), Redacted, nil, "", nil},
	{[]string{"://"}, regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@`), "://" + Redacted + "@", nil, "@", nil},
	{[]string{"glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glsoat-", "glft-", "glimt-", "glagent-"},
		regexp.MustCompile(`\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}`), Redacted, nil, "", nil},
	{[]string{"npm_"}, regexp.MustCompile(`\bnpm_[A-Za-z0-9]{36}\b`), Redacted, nil, "", nil},
	{[]string{"hf_"}, regexp.MustCompile(`\bhf_[A-Za-z0-9]{34,}\b`), Redacted, nil, "", nil},
	{[]string{"sg."}, regexp.MustCompile(`\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`), Redacted, nil, "", nil},
	{[]string{"hooks.slack.com/"}, regexp.MustCompile(`(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/-]+`), "${1}" + Redacted, nil, "", nil},
	{[]string{"/api/webhooks/"}, regexp.MustCompile(`(discord(?:app)?\.com/api/webhooks/)[^\s"'?]+`), "${1}" + Redacted, nil, "", nil},
	{[]string{"-u"}, curlUser, "${1}${2}" + Redacted, func(m string) bool { return numericPair.MatchString(m) }, ":", nil},
	{[]string{"pass", "pw", "secret", "token", "key", "credential", "sig"}, secretAssignment, "${1}" + Redacted, nil, "=:", mayAssign},
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
	k = foldLower(k)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r == ' ' {
			return -1
		}
		return r
	}, k)
}

// foldLower is strings.ToLower with the long s (U+017F) as 's' too. The case-insensitive
// patterns match an ASCII letter in every case Unicode folds it with: 'k' also as the
// Kelvin sign (U+212A), which ToLower turns into 'k', and 's' as the long s, which it
// leaves (TestFoldLowerCoversEveryFold). Triggers (see triggered) and key names are looked
// up in this form, so that text spelled with either finds the pattern or the key it would match.
func foldLower(s string) string {
	s = strings.ToLower(s)
	if strings.Contains(s, "\u017f") {
		s = strings.ReplaceAll(s, "\u017f", "s")
	}
	return s
}

// SecretName reports whether a key or flag name (such as "api_key" or "--password") names a
// secret by the always-on and configured rules.
func (r *Redactor) SecretName(name string) bool { return r.secretKey(strings.TrimLeft(name, "-")) }

func (r *Redactor) secretKey(k string) bool {
	n := normKey(k)
	if r.keys[n] || secretKeysExact[n] {
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
	// The patterns whose triggers the text holds, in one read of the text; again, folded,
	// when it spells a letter with a rune that folds into ASCII.
	on, folds := triggered(s)
	if folds {
		on, _ = triggered(foldLower(s))
	}
	for i, p := range secretPatterns {
		if on&(1<<i) == 0 || p.need != "" && !strings.ContainsAny(s, p.need) {
			continue
		}
		// Matches are rare, and ReplaceAllString copies the text even without one.
		if p.may != nil && !p.may(s) || !p.re.MatchString(s) {
			continue
		}
		if p.keep == nil {
			s = p.re.ReplaceAllString(s, p.repl)
		} else {
			s = p.re.ReplaceAllStringFunc(s, func(m string) string {
				if p.keep(m) {
					return m
				}
				return p.re.ReplaceAllString(m, p.repl)
			})
		}
	}
	for _, re := range r.patterns {
		if re.MatchString(s) {
			s = re.ReplaceAllString(s, Redacted)
		}
	}
	return s
}

// assignmentNames are the endings (lower case) of every name secretAssignment takes.
var assignmentNames = []string{"password", "passwd", "passphrase", "secret", "token", "key",
	"credential", "credentials", "sharedaccesssignature", "pass", "pwd", "pw", "sig"}

// assignmentNamesByLast holds assignmentNames by their last byte.
var assignmentNamesByLast = func() (by [256][]string) {
	for _, n := range assignmentNames {
		by[n[len(n)-1]] = append(by[n[len(n)-1]], n)
	}
	return by
}()

// mayAssign is false only for text secretAssignment cannot match: no '=' or ':' follows a
// name ending like assignmentNames (then an optional quote, then spaces as \s takes them).
// The pattern's (?i) also folds 'k' with the Kelvin sign and 's' with the long s: text
// holding either is left to the pattern. It costs a scan for '=' and ':' where the pattern,
// without a literal to look for, tries every position of the text.
func mayAssign(s string) bool {
	for _, r := range foldRunes {
		if strings.Contains(s, r) {
			return true
		}
	}
	for i := 0; ; i++ {
		k := strings.IndexAny(s[i:], "=:")
		if k < 0 {
			return false
		}
		i += k
		j := i
		for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t' || s[j-1] == '\n' || s[j-1] == '\f' || s[j-1] == '\r') {
			j--
		}
		if j > 0 && (s[j-1] == '"' || s[j-1] == '\'') {
			j--
		}
		if j == 0 {
			continue
		}
		for _, n := range assignmentNamesByLast[lowerASCII(s[j-1])] {
			if j >= len(n) && hasPrefixFold(s[j-len(n):j], n) { // s[:j] ends with n
				return true
			}
		}
	}
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
	bp := recordBufs.Get().(*[]byte)
	out, changed, ok := r.redactJSON((*bp)[:0], raw)
	if changed {
		*bp = out[:0]
	}
	defer recordBufs.Put(bp)
	switch {
	case !ok:
		out = marshal(r.Text(string(raw)))
	case !changed: // nothing to redact: the document as it came
		out = raw
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
