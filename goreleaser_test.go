package mcpgateway

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-gateway/mcp-gateway/shared/release"
)

// TestGoreleaserCheck runs `goreleaser check` when goreleaser is installed. CI does not install
// it (compiling it takes about 12 minutes there); docs/INSTALL.md says how.
func TestGoreleaserCheck(t *testing.T) {
	gr, err := exec.LookPath("goreleaser")
	if err != nil {
		t.Skip("goreleaser is not on PATH (go install github.com/goreleaser/goreleaser/v2@v2.16.0); the checks below run without it")
	}
	if out, err := exec.Command(gr, "check").CombinedOutput(); err != nil {
		t.Fatalf("goreleaser check: %v\n%s", err, out)
	}
}

func goreleaserConfig(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(".goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// versionVars are the package-level variables of shared/version.
func versionVars(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "shared/version/version.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					out = append(out, n.Name)
				}
			}
		}
	}
	return out
}

// The ldflags set shared/version's variables by name: a renamed variable would silently leave
// "dev" in release builds.
func TestGoreleaserLdflagsNameVersionVars(t *testing.T) {
	vars := versionVars(t)
	set := regexp.MustCompile(`-X github\.com/mcp-gateway/mcp-gateway/shared/version\.(\w+)=`).FindAllStringSubmatch(goreleaserConfig(t), -1)
	var names []string
	for _, m := range set {
		if !slices.Contains(vars, m[1]) {
			t.Errorf("ldflags set shared/version.%s, which does not exist (variables: %v)", m[1], vars)
		}
		names = append(names, m[1])
	}
	for _, want := range []string{"Version", "Commit", "Date", "ReleaseKey"} {
		if !slices.Contains(names, want) {
			t.Errorf("ldflags do not set shared/version.%s", want)
		}
	}
}

// The agent's archives are named as the hub, install.sh and the self-update expect.
func TestGoreleaserAgentArchiveName(t *testing.T) {
	m := regexp.MustCompile(`name_template: "(mcp-gateway-agent_[^"]*)"`).FindStringSubmatch(goreleaserConfig(t))
	if m == nil {
		t.Fatal("no name_template for the agent's archives")
	}
	for _, p := range [][2]string{{"linux", "amd64"}, {"darwin", "arm64"}, {"windows", "arm64"}} {
		name := strings.NewReplacer("{{ .Version }}", "1.4.0", "{{ .Os }}", p[0], "{{ .Arch }}", p[1]).Replace(m[1])
		ext := ".tar.gz"
		if p[0] == "windows" {
			ext = ".zip"
		}
		if want := release.ArchiveName("v1.4.0", p[0], p[1]); name+ext != want {
			t.Errorf("tag v1.4.0 on %s/%s: goreleaser writes %s, the release layout wants %s", p[0], p[1], name+ext, want)
		}
	}
}
