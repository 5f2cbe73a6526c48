package integrity

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// suspicious names the class of an invisible or reordering rune, or "" for an ordinary one.
func suspicious(r rune) string {
	switch {
	case r >= 0xE0000 && r <= 0xE007F:
		return "tag"
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return "bidi"
	case r == 0x200B, r == 0x200C, r == 0x200D, r == 0x2060, r == 0xFEFF, r == 0x180E,
		r >= 0x2061 && r <= 0x2064:
		return "zero-width"
	}
	return ""
}

var unicodeRules = map[string]struct {
	severity Severity
	why      string
}{
	"tag": {High, "Unicode tag characters (U+E0000–U+E007F) are invisible but models read them as text"},
	"bidi": {High, "bidirectional override or isolate characters (U+202A–U+202E, U+2066–U+2069) " +
		"make the text read differently from how it is shown"},
	"zero-width": {Medium, "zero-width characters hide text from reviewers or split words to dodge filters"},
}

// scanUnicode reports each class of invisible rune once per field, with the count, the first
// place it occurs and, for tag characters, the text they spell.
func scanUnicode(field, text string) []Finding {
	type hit struct {
		first, end, count int
		hidden            strings.Builder
	}
	var hits map[string]*hit
	var order []string
	for i, r := range text {
		class := suspicious(r)
		if class == "" || legitimate(text, i, r) {
			continue
		}
		if hits == nil {
			hits = map[string]*hit{}
		}
		h := hits[class]
		if h == nil {
			h = &hit{first: i, end: i + utf8.RuneLen(r)}
			hits[class] = h
			order = append(order, class)
		}
		h.count++
		if class == "tag" && r >= 0xE0020 && r <= 0xE007E && h.hidden.Len() < 200 {
			h.hidden.WriteRune(r - 0xE0000)
		}
	}
	var out []Finding
	for _, class := range order {
		h, rule := hits[class], unicodeRules[class]
		why := fmt.Sprintf("%d %s rune(s): %s", h.count, class, rule.why)
		if h.hidden.Len() > 0 {
			why += fmt.Sprintf("; they spell %q", h.hidden.String())
		}
		out = append(out, Finding{Kind: InvisibleUnicode, Severity: rule.severity, Field: field,
			Excerpt: excerpt(text, h.first, h.end), Why: why})
	}
	return out
}

// legitimate reports the honest uses of otherwise suspicious runes: a zero-width joiner
// inside an emoji sequence (👩‍💻), a zero-width (non-)joiner between letters of a script
// that needs it (Persian, Indic), and the tag characters of a subdivision flag (🏴 + tags +
// cancel tag, such as the flag of Scotland).
func legitimate(text string, i int, r rune) bool {
	prev, _ := utf8.DecodeLastRuneInString(text[:i])
	next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
	switch r {
	case 0x200D:
		if isPictograph(prev) && isPictograph(next) {
			return true
		}
		fallthrough
	case 0x200C:
		return nonLatinLetter(prev) && nonLatinLetter(next)
	}
	if r >= 0xE0000 && r <= 0xE007F {
		return inFlagTagSequence(text, i)
	}
	return false
}

func isPictograph(r rune) bool {
	return r == 0xFE0F || (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) ||
		(r >= 0x1F3FB && r <= 0x1F3FF)
}

func nonLatinLetter(r rune) bool {
	return unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) || unicode.Is(unicode.Mn, r)
}

// inFlagTagSequence reports whether the tag rune at i belongs to a sequence of at most seven
// tag letters or digits that follows U+1F3F4 and ends with U+E007F.
func inFlagTagSequence(text string, i int) bool {
	start := i
	for start > 0 {
		r, n := utf8.DecodeLastRuneInString(text[:start])
		if r < 0xE0000 || r > 0xE007F {
			if r != 0x1F3F4 {
				return false
			}
			break
		}
		start -= n
	}
	if start == 0 {
		return false
	}
	tags := 0
	for _, r := range text[start:] {
		switch {
		case r == 0xE007F:
			return tags >= 2 && tags <= 7
		case r >= 0xE0030 && r <= 0xE0039, r >= 0xE0061 && r <= 0xE007A:
			tags++
		default:
			return false
		}
	}
	return false
}

// stripInvisible removes the runes suspicious reports and turns other white space (such as
// U+00A0) into a space, so rules match the text as it is displayed.
func stripInvisible(s string) string {
	clean := true
	for _, r := range s {
		if r >= 0x80 && (suspicious(r) != "" || unicode.IsSpace(r)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x80:
			return r
		case suspicious(r) != "":
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, s)
}
