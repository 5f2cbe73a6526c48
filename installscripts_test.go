package mcpgateway

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// needTool finds a tool the test needs; it skips without it, and fails on CI (CI=true), where
// e2e/setup.sh installs it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed: run e2e/setup.sh", name)
		}
		t.Skipf("%s is not installed (e2e/setup.sh installs it)", name)
	}
	return p
}

func TestInstallShShellcheckClean(t *testing.T) {
	sc := needTool(t, "shellcheck")
	out, err := exec.Command(sc, "--shell=sh", "install.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("shellcheck install.sh: %v\n%s", err, out)
	}
}

// The scripts are served to any shell and to Windows PowerShell 5.1, which reads a file
// without a byte-order mark as ANSI: both stay ASCII.
func TestInstallScriptsAreASCII(t *testing.T) {
	for _, name := range []string{"install.sh", "install.ps1"} {
		text, _ := InstallScript(name)
		for i, r := range text {
			if r > 0x7e || (r < 0x20 && r != '\n' && r != '\t') {
				t.Fatalf("%s: character %q at byte %d", name, r, i)
			}
		}
	}
}

// TestInstallShIsOnlyFunctions: apart from comments, every top-level line of install.sh
// belongs to a function definition, and the only command is the call on the last line.
func TestInstallShIsOnlyFunctions(t *testing.T) {
	text, _ := InstallScript("install.sh")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if last := lines[len(lines)-1]; last != `{ mcpgw_main "$@"; }` {
		t.Fatalf("last line is %q, want the call of mcpgw_main", last)
	}
	def := regexp.MustCompile(`^[a-z_0-9]+\(\) \{`)
	inFunc := false
	for i, l := range lines[:len(lines)-1] {
		switch {
		case inFunc:
			inFunc = l != "}"
		case l == "" || strings.HasPrefix(l, "#"):
		case def.MatchString(l):
			inFunc = !strings.HasSuffix(l, "}")
		default:
			t.Fatalf("install.sh line %d runs outside a function: %q", i+1, l)
		}
	}
}

// TestInstallPs1Parameters: the script's parameters are handed, all of them, to the function
// the last line calls, and the function declares each of them.
func TestInstallPs1Parameters(t *testing.T) {
	text, _ := InstallScript("install.ps1")
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "& { Install-McpGatewayAgent ") || !strings.HasSuffix(last, " }") {
		t.Fatalf("last line is %q, want the call of Install-McpGatewayAgent in & { }", last)
	}
	top := regexp.MustCompile(`(?s)^.*?\nparam\((.*?)\n\)\n`).FindStringSubmatch(text)
	fn := regexp.MustCompile(`(?s)function Install-McpGatewayAgent \{\n\s*param\((.*?)\)\n`).FindStringSubmatch(text)
	if top == nil || fn == nil {
		t.Fatal("cannot find the script's and the function's param blocks")
	}
	names := func(s string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`\$([A-Za-z]+)`).FindAllStringSubmatch(s, -1) {
			if m[1] != "env" && !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
		slices.Sort(out)
		return out
	}
	script, function := names(regexp.MustCompile(`\$env:[A-Z_]+`).ReplaceAllString(top[1], "")), names(fn[1])
	if !slices.Equal(script, function) || len(script) < 10 {
		t.Fatalf("script parameters %v, function parameters %v", script, function)
	}
	for _, p := range script {
		if !regexp.MustCompile(`-` + p + ` \$` + p + `(\.IsPresent)?( |$)`).MatchString(last) {
			t.Errorf("the last line does not pass -%s", p)
		}
	}
}
