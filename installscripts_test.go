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

// ps1Function returns the text of a function defined inside Install-McpGatewayAgent (four
// spaces in), up to its closing brace. PowerShell cannot run on the test machines
// (docs/INSTALL.md), so the checks below read install.ps1's text.
func ps1Function(t *testing.T, name string) string {
	t.Helper()
	text, _ := InstallScript("install.ps1")
	start := strings.Index(text, "\n    function "+name+" ")
	if start < 0 {
		start = strings.Index(text, "\n    function "+name+"(")
	}
	if start < 0 {
		t.Fatalf("install.ps1 has no function %s", name)
	}
	body := text[start+1:]
	end := strings.Index(body, "\n    }\n")
	if end < 0 {
		t.Fatalf("install.ps1: cannot find the end of %s", name)
	}
	return body[:end+6]
}

// TestInstallPs1EnrollKeyNotOnCommandLine: install.ps1 used to run `setup --key KEY`, putting
// the agent key on the agent's command line, readable by other processes. It must hand the key
// over in MCPGW_API_KEY, set just around the call and put back after it.
func TestInstallPs1EnrollKeyNotOnCommandLine(t *testing.T) {
	f := ps1Function(t, "Invoke-Enroll")
	call := strings.Index(f, "& $exe @a")
	if call < 0 {
		t.Fatalf("Invoke-Enroll does not run `& $exe @a`:\n%s", f)
	}
	for _, l := range strings.Split(f, "\n") {
		if strings.Contains(l, "$Enroll") && (strings.Contains(l, "@(") || strings.Contains(l, "$a +=") || strings.Contains(l, "& $exe")) {
			t.Errorf("the key goes into the command line: %s", strings.TrimSpace(l))
		}
		if strings.Contains(l, "--key") {
			t.Errorf("setup is called or suggested with --key: %s", strings.TrimSpace(l))
		}
	}
	set := strings.Index(f, "$env:MCPGW_API_KEY = $Enroll")
	restore := regexp.MustCompile(`finally \{ \$env:MCPGW_API_KEY = \$saved \}`).FindStringIndex(f)
	if set < 0 || set > call || restore == nil || restore[0] < call {
		t.Errorf("Invoke-Enroll must set $env:MCPGW_API_KEY before the call and restore it in finally:\n%s", f)
	}
}

// TestInstallPs1FailsClosed: with no way to check the signature (no key, no capable openssl)
// install.ps1 used to warn and install. Skip-Signature must fail unless the user set
// -InsecureSkipSignature (or MCPGW_INSECURE_SKIP_SIGNATURE=1), and every unverifiable branch of
// Test-Release must go through it before the archive is downloaded.
func TestInstallPs1FailsClosed(t *testing.T) {
	skip := ps1Function(t, "Skip-Signature")
	lines := strings.Split(strings.TrimSpace(skip), "\n")
	var code []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			code = append(code, l)
		}
	}
	if len(code) < 3 || code[0] != "if (-not $InsecureSkipSignature) {" || !strings.HasPrefix(code[1], "Fail ") ||
		!strings.Contains(code[1], "-InsecureSkipSignature") || !strings.Contains(code[1], "MCPGW_INSECURE_SKIP_SIGNATURE") {
		t.Errorf("Skip-Signature does not start by failing without -InsecureSkipSignature:\n%s", skip)
	}
	rel := ps1Function(t, "Test-Release")
	archive := strings.Index(rel, `Get-File "$($rel.Base)/$($rel.Archive)"`)
	if archive < 0 {
		t.Fatalf("Test-Release does not download the archive as expected:\n%s", rel)
	}
	before := rel[:archive]
	for _, branch := range []string{"if (-not $ReleaseKey) {", "} elseif (-not (Test-OpenSslEd25519 $tmp)) {"} {
		i := strings.Index(before, branch)
		if i < 0 {
			t.Errorf("Test-Release has no branch %q", branch)
			continue
		}
		next := before[i+len(branch):]
		if end := strings.Index(next, "} else"); end >= 0 {
			next = next[:end]
		}
		if !strings.Contains(next, "Skip-Signature ") {
			t.Errorf("Test-Release's branch %q does not go through Skip-Signature:\n%s", branch, next)
		}
	}
	text, _ := InstallScript("install.ps1")
	if !strings.Contains(text, "if ($env:MCPGW_INSECURE_SKIP_SIGNATURE -eq '1') { $InsecureSkipSignature = $true }") {
		t.Error("install.ps1 does not read MCPGW_INSECURE_SKIP_SIGNATURE (irm | iex takes no parameters)")
	}
}
