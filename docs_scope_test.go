package mcpgateway

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The user docs (README.md and docs/*.md) speak of this project only (issue 12): no issue
// numbers of its tracker, no planning documents outside the repository, and no other
// implementation by name — except docs/BENCHMARKS.md, which names the proxy it measures.
// Review records live in docs/reviews/ and are not user docs.
func TestUserDocsSpeakOfThisProjectOnly(t *testing.T) {
	planning := regexp.MustCompile(`(?i)\bissues? #?\d+\b|\bDESIGN\.md\b|\bSTYLE\.md\b|steering repo|/work/`)
	others := regexp.MustCompile(`(?i)\bmcp-proxy\b|supergateway|toolhive|metamcp|\bmcpo\b|agentgateway|context-?forge|\bunla\b|\bfrp\b|tailscale|soft-serve|\bcaddy\b`)
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := planning.FindString(line); m != "" {
				t.Errorf("%s:%d refers to a planning document or issue (%q): %s", f, i+1, m, line)
			}
			if m := others.FindString(line); m != "" && f != filepath.Join("docs", "BENCHMARKS.md") {
				t.Errorf("%s:%d names another implementation (%q): %s", f, i+1, m, line)
			}
		}
	}
}
