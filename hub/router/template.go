package router

import (
	"regexp"
	"strings"
)

// matcher matches concrete URIs against an RFC 6570 URI template. Only what resource
// templates use is supported: literals and the expressions {var}, {+var}, {#var},
// {.var}, {/var}, {;var}, {?a,b} and {&a}, each of which may expand to nothing.
type matcher struct {
	tgt  Target
	head string // the literal text before the first expression, for a quick rejection
	re   *regexp.Regexp
}

// pattern gives what an expansion with operator op may look like in a URI.
func pattern(op byte) string {
	switch op {
	case '+':
		return `.*`
	case '#':
		return `(?:#.*)?`
	case '.':
		return `(?:\.[^/?#]*)?`
	case '/':
		return `(?:/[^?#]*)?`
	case ';':
		return `(?:;[^/?#]*)?`
	case '?':
		return `(?:\?[^#]*)?`
	case '&':
		return `(?:&[^#]*)?`
	}
	return `[^/?#]*`
}

func compileTemplate(tmpl string) (matcher, bool) {
	var re strings.Builder
	re.WriteString(`(?s)^`)
	head, rest := tmpl, ""
	if i := strings.IndexByte(tmpl, '{'); i >= 0 {
		head, rest = tmpl[:i], tmpl[i:]
	}
	re.WriteString(regexp.QuoteMeta(head))
	for rest != "" {
		end := strings.IndexByte(rest, '}')
		if rest[0] != '{' || end < 0 {
			return matcher{}, false
		}
		expr := rest[1:end]
		var op byte
		if expr != "" && strings.IndexByte("+#./;?&", expr[0]) >= 0 {
			op, expr = expr[0], expr[1:]
		}
		if expr == "" || strings.ContainsAny(expr, "{=!@|") {
			return matcher{}, false
		}
		re.WriteString(pattern(op))
		rest = rest[end+1:]
		lit := rest
		if i := strings.IndexByte(rest, '{'); i >= 0 {
			lit = rest[:i]
		}
		if strings.IndexByte(lit, '}') >= 0 {
			return matcher{}, false
		}
		re.WriteString(regexp.QuoteMeta(lit))
		rest = rest[len(lit):]
	}
	re.WriteString(`$`)
	r, err := regexp.Compile(re.String())
	if err != nil {
		return matcher{}, false
	}
	return matcher{head: head, re: r}, true
}

func (m *matcher) match(uri string) bool {
	return strings.HasPrefix(uri, m.head) && m.re.MatchString(uri)
}
