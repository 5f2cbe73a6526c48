package layout

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/mcp-gateway/mcp-gateway/"

// forbidden maps a top-level folder to the top-level folders it must not import.
var forbidden = map[string][]string{
	"shared": {"hub", "agent", "tui", "installer"},
	"agent":  {"hub"},
	"tui":    {"hub"},
}

type pkg struct {
	imports map[string]bool
	hasDoc  bool
	isMain  bool
	hasCode bool // has non-test files
}

func scan(t *testing.T) map[string]*pkg {
	root := filepath.Join("..", "..")
	pkgs := map[string]*pkg{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		p := pkgs[rel]
		if p == nil {
			p = &pkg{imports: map[string]bool{}}
			pkgs[rel] = p
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil
		}
		p.hasCode = true
		for _, imp := range f.Imports {
			s, _ := strconv.Unquote(imp.Path.Value)
			p.imports[s] = true
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), "Package "+f.Name.Name+" ") {
			p.hasDoc = true
		}
		p.isMain = p.isMain || f.Name.Name == "main"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestImportDirection(t *testing.T) {
	for dir, p := range scan(t) {
		top := strings.Split(filepath.ToSlash(dir), "/")[0]
		for imp := range p.imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			impTop := strings.Split(strings.TrimPrefix(imp, module), "/")[0]
			for _, bad := range forbidden[top] {
				if impTop == bad {
					t.Errorf("%s imports %s: %s/ must not import %s/", dir, imp, top, bad)
				}
			}
		}
	}
}

func TestPackagesHaveDocs(t *testing.T) {
	for dir, p := range scan(t) {
		if p.hasCode && !p.hasDoc && !p.isMain {
			t.Errorf("package in %s has no `// Package x …` doc comment", dir)
		}
	}
}

// The rule itself must be able to fail: a shared file importing hub is caught.
func TestRuleCatchesViolation(t *testing.T) {
	dir := t.TempDir()
	src := "// Package bad is bad.\npackage bad\nimport _ \"" + module + "hub/store\"\n"
	path := filepath.Join(dir, "bad.go")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	imp, _ := strconv.Unquote(f.Imports[0].Path.Value)
	impTop := strings.Split(strings.TrimPrefix(imp, module), "/")[0]
	caught := false
	for _, bad := range forbidden["shared"] {
		caught = caught || impTop == bad
	}
	if !caught {
		t.Fatal("a shared/ file importing hub/ was not caught")
	}
}
