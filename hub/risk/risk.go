// Package risk classifies MCP tools into risk categories (read, write, destructive, execute,
// admin, external-api) from their annotations, name and description, with operator overrides.
package risk

import (
	"encoding/json"
	"fmt"
)

// Category is the risk class of a tool.
type Category string

// Categories, from the mildest to the strongest (see Stronger).
const (
	Unclassified Category = "unclassified"
	Read         Category = "read"
	Write        Category = "write"
	ExternalAPI  Category = "external-api"
	Admin        Category = "admin"
	Execute      Category = "execute"
	Destructive  Category = "destructive"
)

// Categories lists every category from the mildest to the strongest.
var Categories = []Category{Unclassified, Read, Write, ExternalAPI, Admin, Execute, Destructive}

func (c Category) rank() int {
	for i, k := range Categories {
		if k == c {
			return i
		}
	}
	return -1
}

// Valid reports whether c is one of the known categories.
func (c Category) Valid() bool { return c.rank() >= 0 }

// Stronger reports whether c outranks d: when several signals of the same source disagree,
// the stronger category wins, so a tool named read_and_delete is destructive.
func (c Category) Stronger(d Category) bool { return c.rank() > d.rank() }

// ParseCategory turns an operator's string into a Category.
func ParseCategory(s string) (Category, error) {
	c := Category(s)
	if !c.Valid() {
		return "", fmt.Errorf("risk: unknown category %q (want one of %v)", s, Categories)
	}
	return c, nil
}

// Signal names the source that decided a classification.
type Signal string

// Signals, in the order they are consulted.
const (
	SignalOverride    Signal = "override"    // an operator said so
	SignalAnnotation  Signal = "annotation"  // the server's MCP annotations
	SignalName        Signal = "name"        // a word in the tool name
	SignalDescription Signal = "description" // a word in the description's first sentence
	SignalNone        Signal = "none"        // nothing matched
)

// Reason says which signal decided a classification and what it saw.
type Reason struct {
	Signal Signal `json:"signal"`
	Detail string `json:"detail"`
	// Conflict notes a weaker source that disagreed (for instance a name that says delete on
	// a tool annotated readOnlyHint), so an operator can spot a lying server; empty if none.
	Conflict string `json:"conflict,omitempty"`
}

func (r Reason) String() string {
	s := string(r.Signal) + ": " + r.Detail
	if r.Conflict != "" {
		s += " (but " + r.Conflict + ")"
	}
	return s
}

// tool is the part of an MCP Tool that classification reads.
type tool struct {
	Name, Title, Description string
	Annotations              *annotations // nil when the server sent none
}

// annotations are MCP ToolAnnotations; nil pointers are hints the server did not send (or
// sent as something other than a boolean).
type annotations struct {
	Title                                                        string
	ReadOnlyHint, DestructiveHint, IdempotentHint, OpenWorldHint *bool
}

// Classify returns the category of one tool definition (a raw MCP Tool object) and the
// reason for it. Annotations the server sent win over words; among words the name wins
// over the description. A definition that is not a JSON object is unclassified.
func Classify(raw json.RawMessage) (Category, Reason) {
	t, err := parse(raw)
	if err != nil {
		return Unclassified, Reason{Signal: SignalNone, Detail: "definition is not a tool object: " + err.Error()}
	}
	words := fromWords(t)
	if a := t.Annotations; a != nil {
		if c, r, ok := fromAnnotations(a, words); ok {
			return c, r
		}
	}
	if words.cat != Unclassified {
		return words.cat, Reason{Signal: words.signal, Detail: words.detail}
	}
	return Unclassified, Reason{Signal: SignalNone, Detail: "no annotation or known word in name and description"}
}

// parse reads the fields classification needs, leniently: a field of the wrong type (say
// "readOnlyHint":"yes") is ignored rather than costing the tool its other signals.
func parse(raw json.RawMessage) (tool, error) {
	var f struct {
		Name, Title, Description, Annotations json.RawMessage
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return tool{}, err
	}
	str := func(r json.RawMessage) string {
		var s string
		_ = json.Unmarshal(r, &s)
		return s
	}
	t := tool{Name: str(f.Name), Title: str(f.Title), Description: str(f.Description)}
	var a struct {
		Title                                                        json.RawMessage
		ReadOnlyHint, DestructiveHint, IdempotentHint, OpenWorldHint json.RawMessage
	}
	if len(f.Annotations) > 0 && f.Annotations[0] == '{' && json.Unmarshal(f.Annotations, &a) == nil {
		hint := func(r json.RawMessage) *bool {
			var b bool
			if string(r) == "null" || json.Unmarshal(r, &b) != nil {
				return nil
			}
			return &b
		}
		t.Annotations = &annotations{Title: str(a.Title), ReadOnlyHint: hint(a.ReadOnlyHint),
			DestructiveHint: hint(a.DestructiveHint), IdempotentHint: hint(a.IdempotentHint),
			OpenWorldHint: hint(a.OpenWorldHint)}
	}
	return t, nil
}

// fromAnnotations applies the MCP hints in the order destructiveHint, readOnlyHint,
// openWorldHint, then an explicit readOnlyHint=false. Words may still raise a tool to a
// stronger category where the hints leave room (see the cases); ok is false when the hints
// say nothing decisive.
func fromAnnotations(a *annotations, w verdict) (Category, Reason, bool) {
	isTrue := func(b *bool) bool { return b != nil && *b }
	isFalse := func(b *bool) bool { return b != nil && !*b }
	switch {
	case isTrue(a.DestructiveHint) && !isTrue(a.ReadOnlyHint):
		return Destructive, Reason{Signal: SignalAnnotation, Detail: "destructiveHint=true"}, true
	case isTrue(a.ReadOnlyHint):
		r := Reason{Signal: SignalAnnotation, Detail: "readOnlyHint=true"}
		if w.cat.Stronger(ExternalAPI) { // a dangerous word on a read-only tool: maybe a lying server
			r.Conflict = w.String() + " suggests " + string(w.cat)
		}
		return Read, r, true
	case isTrue(a.OpenWorldHint):
		if w.cat.Stronger(ExternalAPI) && !(w.cat == Destructive && isFalse(a.DestructiveHint)) {
			return w.cat, Reason{Signal: w.signal, Detail: w.detail + " (stronger than openWorldHint=true)"}, true
		}
		return ExternalAPI, Reason{Signal: SignalAnnotation, Detail: "openWorldHint=true"}, true
	case isFalse(a.ReadOnlyHint):
		// The server says the tool changes its environment: at least a write.
		if w.cat.Stronger(Write) && !(w.cat == Destructive && isFalse(a.DestructiveHint)) {
			return w.cat, Reason{Signal: w.signal, Detail: w.detail + " (readOnlyHint=false)"}, true
		}
		d := "readOnlyHint=false"
		if isFalse(a.DestructiveHint) {
			d += ", destructiveHint=false"
		}
		return Write, Reason{Signal: SignalAnnotation, Detail: d}, true
	}
	return "", Reason{}, false
}

// verdict is what the words of a tool say.
type verdict struct {
	cat    Category
	signal Signal
	detail string
}

func (v verdict) String() string { return v.detail }

func fromWords(t tool) verdict {
	if c, d := classifyText(t.Name); c != Unclassified {
		return verdict{c, SignalName, d + " in name " + quote(t.Name)}
	}
	for _, s := range []string{t.Title, annotationTitle(t.Annotations)} {
		if c, d := classifyText(s); c != Unclassified {
			return verdict{c, SignalName, d + " in title " + quote(s)}
		}
	}
	first := firstSentence(t.Description)
	if c, d := classifyText(first); c != Unclassified {
		return verdict{c, SignalDescription, d + " in description " + quote(first)}
	}
	return verdict{cat: Unclassified}
}

func annotationTitle(a *annotations) string {
	if a == nil {
		return ""
	}
	return a.Title
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return fmt.Sprintf("%q", s)
}
