package policy

// Glob is a compiled name glob with the syntax policies use: path.Match patterns ('*',
// '?', '[…]', '\' escapes), where '*' does not cross '/'. hub/rbac uses it for the tool
// globs of roles, so both speak one glob language.
type Glob struct{ g glob }

// CompileGlob compiles a pattern; a malformed one (e.g. an unclosed '[') is an error.
func CompileGlob(pattern string) (Glob, error) {
	g, err := compileGlob(pattern)
	if err != nil {
		return Glob{}, err
	}
	return Glob{g: g}, nil
}

// Match reports whether s matches. It does not allocate.
func (g *Glob) Match(s string) bool { return g.g.match(s) }

// String returns the pattern.
func (g *Glob) String() string {
	switch g.g.kind {
	case globPrefix:
		return g.g.lit + "*"
	case globSuffix:
		return "*" + g.g.lit
	case globContains:
		return "*" + g.g.lit + "*"
	}
	return g.g.lit
}
