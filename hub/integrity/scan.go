// Package integrity checks MCP tool definitions before clients see them: Scan looks for
// poisoning (hidden instructions, secret paths, exfiltration, invisible Unicode, oversized
// text), Fingerprint and Pins detect a definition that changed after approval (rug pull).
package integrity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Kind is what a finding is about.
type Kind string

// Kinds of findings.
const (
	HiddenInstruction Kind = "hidden-instruction" // text addressed to the model, not the user
	SecretPath        Kind = "secret-path"        // a path or file that holds credentials
	Exfiltration      Kind = "exfiltration"       // phrasing that moves data somewhere
	InvisibleUnicode  Kind = "invisible-unicode"  // zero-width, bidi or tag characters
	Oversized         Kind = "oversized"          // text too long to review
	Malformed         Kind = "malformed"          // not a JSON object
)

// Severity orders findings for review. Any finding quarantines a tool; severity says how
// likely it is an attack rather than an unusual but honest description.
type Severity string

// Severities.
const (
	Low    Severity = "low"
	Medium Severity = "medium"
	High   Severity = "high"
)

// Finding is one suspicious thing in a tool definition.
type Finding struct {
	Kind     Kind     `json:"kind"`
	Severity Severity `json:"severity"`
	// Field is where: a dotted path into the definition such as "description" or
	// "inputSchema.properties.path.description"; "(key)" marks an object key itself.
	Field   string `json:"field"`
	Excerpt string `json:"excerpt"` // the matched text with some context, invisible runes escaped
	Why     string `json:"why"`     // the rule, in words an operator can judge
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s in %s: %s: %s", f.Severity, f.Kind, f.Field, f.Why, f.Excerpt)
}

// Scanner holds the limits of a scan; the zero value uses the defaults.
type Scanner struct {
	// MaxFieldBytes is the longest text one string may hold before it is flagged as
	// oversized. Zero means DefaultMaxFieldBytes.
	MaxFieldBytes int
	// MaxToolBytes is the largest whole definition (raw JSON) before it is flagged.
	// Zero means DefaultMaxToolBytes.
	MaxToolBytes int
}

// Default limits. Honest descriptions of the reference servers stay under 1 KiB; 4 KiB
// leaves room for long ones while keeping every description reviewable by a person.
const (
	DefaultMaxFieldBytes = 4 << 10
	DefaultMaxToolBytes  = 64 << 10
)

// Scan scans tool with the default limits.
func Scan(tool json.RawMessage) []Finding { return (&Scanner{}).Scan(tool) }

// Scan returns the findings in tool, a raw MCP Tool object, ordered by field. Every string
// in the definition is scanned (names, titles, descriptions, schema texts, enum values,
// defaults), and object keys too.
func (s *Scanner) Scan(tool json.RawMessage) []Finding {
	var out []Finding
	if max := orDefault(s.MaxToolBytes, DefaultMaxToolBytes); len(tool) > max {
		out = append(out, Finding{Kind: Oversized, Severity: Medium, Field: "(definition)",
			Excerpt: strconv.Itoa(len(tool)) + " bytes",
			Why:     fmt.Sprintf("the definition is larger than %d bytes; long text can bury instructions", max)})
	}
	d := json.NewDecoder(bytes.NewReader(tool))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return append(out, Finding{Kind: Malformed, Severity: High, Field: "(definition)",
			Excerpt: excerpt(string(tool), 0, min(len(tool), 40)), Why: "not valid JSON: " + err.Error()})
	}
	if _, ok := v.(map[string]any); !ok {
		return append(out, Finding{Kind: Malformed, Severity: High, Field: "(definition)",
			Excerpt: excerpt(string(tool), 0, min(len(tool), 40)), Why: "a tool definition must be a JSON object"})
	}
	maxField := orDefault(s.MaxFieldBytes, DefaultMaxFieldBytes)
	walk(v, "", func(field, text string, key bool) {
		if key {
			field += " (key)"
		}
		out = append(out, scanText(field, text, maxField)...)
	})
	return out
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// walk calls fn for every string and object key in v, in sorted key order.
func walk(v any, path string, fn func(field, text string, key bool)) {
	switch x := v.(type) {
	case string:
		fn(path, x, false)
	case []any:
		for i, e := range x {
			walk(e, path+"["+strconv.Itoa(i)+"]", fn)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := fieldPath(path, k)
			fn(p, k, true)
			walk(x[k], p, fn)
		}
	}
}

// fieldPath appends key k to path: dotted where k is a plain name, ["k"] where k is empty
// or holds a dot or bracket (a finding must always name a field).
func fieldPath(path, k string) string {
	if k == "" || strings.ContainsAny(k, ".[]") {
		return path + "[" + strconv.Quote(k) + "]"
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// scanText runs every rule over one string.
func scanText(field, text string, maxField int) []Finding {
	var out []Finding
	if len(text) > maxField {
		out = append(out, Finding{Kind: Oversized, Severity: Low, Field: field,
			Excerpt: excerpt(text, 0, 60),
			Why:     fmt.Sprintf("%d bytes, more than the limit of %d; long text can bury instructions", len(text), maxField)})
	}
	out = append(out, scanUnicode(field, text)...)
	// Match the text as a reader (or a model) sees it: invisible runes removed, so that
	// "ig\u200bnore previous instructions" is still caught.
	visible := stripInvisible(text)
	lower := asciiLower(visible)
	filter := collapseSpace(lower)
	for i := range rules {
		r := &rules[i]
		if !r.mayMatch(filter) {
			continue
		}
		// One finding per rule and field: the first match, and how many there are.
		locs := r.re.FindAllStringIndex(lower, 10)
		if len(locs) == 0 {
			continue
		}
		why := r.why
		if len(locs) > 1 {
			why += fmt.Sprintf(" (%d matches)", len(locs))
		}
		out = append(out, Finding{Kind: r.kind, Severity: r.severity, Field: field,
			Excerpt: excerpt(visible, locs[0][0], locs[0][1]), Why: why})
	}
	return out
}

// excerpt returns text[start:end] with up to 30 bytes of context each side, cut on rune
// boundaries, with invisible and control runes escaped so the excerpt shows them.
func excerpt(text string, start, end int) string {
	from, to := max(0, start-30), min(len(text), end+30)
	for from > 0 && !isRuneStart(text[from]) {
		from--
	}
	for to < len(text) && !isRuneStart(text[to]) {
		to++
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	for _, r := range text[from:to] {
		if suspicious(r) != "" || r < 0x20 || r == 0x7f {
			fmt.Fprintf(&b, `\u{%04X}`, r)
			continue
		}
		b.WriteRune(r)
	}
	if to < len(text) {
		b.WriteString("…")
	}
	return b.String()
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// asciiLower lower-cases ASCII letters only, keeping every byte offset of s.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// collapseSpace replaces each run of white space with one space, for the rule filters.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}
