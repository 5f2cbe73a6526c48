package discovery

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokens splits text into lower-case terms: at every character that is not a letter or a
// digit, at lower→upper case changes (camelCase), at the end of an upper-case run followed
// by a lower-case letter (HTTPServer → http server) and between letters and digits. Each
// word is stemmed; stop words are dropped. It appends to out.
func tokens(text string, out []string) []string {
	start := -1
	var prev rune
	flush := func(end int) {
		if start >= 0 {
			if t := term(text[start:end]); t != "" {
				out = append(out, t)
			}
			start = -1
		}
	}
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if !word {
			flush(i)
			prev = r
			continue
		}
		if start >= 0 {
			switch {
			case unicode.IsUpper(r) && unicode.IsLower(prev),
				unicode.IsDigit(r) != unicode.IsDigit(prev):
				flush(i)
			case unicode.IsLower(r) && unicode.IsUpper(prev) && i-start > utf8.RuneLen(prev):
				// "HTTPServer": the run's last capital opens the next word.
				at := i - utf8.RuneLen(prev)
				flush(at)
				start = at
			}
		}
		if start < 0 {
			start = i
		}
		prev = r
	}
	flush(len(text))
	return out
}

// term turns one word into its index term: lower-cased and stemmed, or "" for a stop word.
func term(w string) string {
	w = strings.ToLower(w)
	if stop[w] {
		return ""
	}
	return stem(w)
}

// stem is a light suffix stripper for English identifiers and descriptions: plurals and
// -ing/-ed forms meet their base form, and a final e goes so that "create", "creates",
// "created" and "creating" are one term. It is deliberately crude: both documents and
// queries pass through it, so only consistency matters.
func stem(w string) string {
	if len(w) <= 3 || !isASCIILetters(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ing") && len(w) > 5:
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) > 4:
		w = undouble(w[:len(w)-2])
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	if len(w) > 3 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	return w
}

// undouble drops a doubled final consonant left by -ing or -ed: "running" → "run".
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

func isASCIILetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// stop are words that say nothing about which tool is meant.
var stop = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "to": true, "and": true, "or": true, "in": true,
	"on": true, "at": true, "for": true, "with": true, "by": true, "from": true, "into": true, "as": true,
	"is": true, "are": true, "be": true, "been": true, "was": true, "it": true, "its": true, "this": true,
	"that": true, "these": true, "those": true, "i": true, "me": true, "my": true, "we": true, "our": true,
	"you": true, "your": true, "can": true, "could": true, "would": true, "should": true, "please": true,
	"want": true, "need": true, "some": true, "any": true, "which": true, "what": true, "how": true,
	"do": true, "does": true, "tool": true, "tools": true, "using": true, "use": true, "via": true,
	"if": true, "then": true, "than": true, "there": true, "so": true, "s": true,
}

// synonyms widen a query word to words a tool's author may have used instead. They apply to
// queries only, at a lower weight than the word itself, and are the general vocabulary of tool
// catalogues (the verbs of reading and writing, files, search), not tied to any server. Both
// sides are plain words; synonymTerms holds them as index terms.
var synonyms = map[string][]string{
	"remove": {"delete"}, "delete": {"remove"}, "erase": {"delete"}, "drop": {"delete"},
	"folder": {"directory"}, "directory": {"folder"}, "dir": {"directory"},
	"rename": {"move"}, "move": {"rename"},
	"show": {"list", "get"}, "display": {"list", "get"}, "fetch": {"get", "read"}, "retrieve": {"get", "read"},
	"open": {"read"}, "view": {"read", "list"}, "look": {"search", "get"},
	"find": {"search"}, "lookup": {"search"}, "query": {"search"}, "search": {"find"},
	"make": {"create"}, "new": {"create"}, "add": {"create"}, "create": {"add", "new"},
	"save": {"write"}, "store": {"write"}, "write": {"save"},
	"modify": {"edit", "update"}, "change": {"edit", "update"}, "update": {"edit"}, "edit": {"update"},
	"compress": {"gzip", "zip"}, "zip": {"compress"}, "gzip": {"compress"},
	"picture": {"image"}, "photo": {"image"}, "img": {"image"},
	"env": {"environment"}, "environment": {"env"},
	"metadata": {"info"}, "info": {"metadata"}, "details": {"info"},
}

// synonymTerms is synonyms with both sides turned into index terms.
var synonymTerms = func() map[string][]string {
	m := make(map[string][]string, len(synonyms))
	for k, vs := range synonyms {
		tk := term(k)
		for _, v := range vs {
			if tv := term(v); tv != "" && tv != tk {
				m[tk] = append(m[tk], tv)
			}
		}
	}
	return m
}()
