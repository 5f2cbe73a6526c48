package installer

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"runtime"
	"slices"
	"strings"
	"time"
)

// RestartDelay is how soon a stopped or crashed agent is started again, on every OS
// (kardianos/service's own systemd template waits 120 s).
const RestartDelay = 2 * time.Second

// SystemdUnit renders the per-user unit ~/.config/systemd/user/mcp-gateway-agent.service.
// The agent retries the hub by itself; a restart only follows a crash or a bad config, so
// systemd never stops restarting it (StartLimitIntervalSec=0).
func SystemdUnit(s Spec) (string, error) {
	var b strings.Builder
	b.WriteString("# Written by `mcp-gateway-agent service install`; changes are lost on the next install.\n")
	b.WriteString("[Unit]\n")
	fmt.Fprintf(&b, "Description=%s\n", systemdEscape(Description))
	b.WriteString("StartLimitIntervalSec=0\n\n")
	b.WriteString("[Service]\nType=simple\n")
	args := append([]string{s.Executable}, s.Arguments()...)
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = systemdQuote(systemdEscape(strings.ReplaceAll(a, "$", "$$")))
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(quoted, " "))
	if s.WorkDir != "" {
		fmt.Fprintf(&b, "WorkingDirectory=%s\n", systemdEscape(s.WorkDir)) // a path, not split into words
	}
	fmt.Fprintf(&b, "Restart=always\nRestartSec=%d\nTimeoutStopSec=20\n", int(RestartDelay/time.Second))
	for _, k := range sortedKeys(s.Env) {
		fmt.Fprintf(&b, "Environment=%s\n", systemdQuote(systemdEscape(k+"="+s.Env[k])))
	}
	b.WriteString("\n[Install]\nWantedBy=default.target\n")
	return checkTemplateSafe(b.String())
}

// systemdEscape doubles % (systemd specifiers).
func systemdEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// systemdQuote double-quotes a word when it has blanks, quotes or backslashes.
func systemdQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// LaunchdPlist renders the LaunchAgent ~/Library/LaunchAgents/mcp-gateway-agent.plist:
// started at login, kept alive, restarted no sooner than RestartDelay.
func LaunchdPlist(s Spec) (string, error) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Name + `</string>
	<key>ProgramArguments</key>
	<array>
`)
	for _, a := range append([]string{s.Executable}, s.Arguments()...) {
		fmt.Fprintf(&b, "\t\t<string>%s</string>\n", html.EscapeString(a))
	}
	b.WriteString("\t</array>\n\t<key>EnvironmentVariables</key>\n\t<dict>\n")
	for _, k := range sortedKeys(s.Env) {
		fmt.Fprintf(&b, "\t\t<key>%s</key>\n\t\t<string>%s</string>\n", html.EscapeString(k), html.EscapeString(s.Env[k]))
	}
	b.WriteString("\t</dict>\n")
	if s.WorkDir != "" {
		fmt.Fprintf(&b, "\t<key>WorkingDirectory</key>\n\t<string>%s</string>\n", html.EscapeString(s.WorkDir))
	}
	b.WriteString("\t<key>RunAtLoad</key>\n\t<true/>\n\t<key>KeepAlive</key>\n\t<true/>\n")
	fmt.Fprintf(&b, "\t<key>ThrottleInterval</key>\n\t<integer>%d</integer>\n", int(RestartDelay/time.Second))
	if s.StderrPath != "" {
		fmt.Fprintf(&b, "\t<key>StandardErrorPath</key>\n\t<string>%s</string>\n", html.EscapeString(s.StderrPath))
	}
	b.WriteString("\t<key>ProcessType</key>\n\t<string>Background</string>\n</dict>\n</plist>\n")
	return checkTemplateSafe(b.String())
}

// WindowsSettings is what the Windows service manager is given: the service, its
// environment (kept in the registry) and its recovery actions.
type WindowsSettings struct {
	Name         string            `json:"name"`
	DisplayName  string            `json:"displayName"`
	Description  string            `json:"description"`
	Executable   string            `json:"executable"`
	Arguments    []string          `json:"arguments"`
	StartType    string            `json:"startType"`
	Env          map[string]string `json:"environment"`
	OnFailure    string            `json:"onFailure"`
	RestartDelay string            `json:"onFailureDelay"`
	ResetPeriod  int               `json:"onFailureResetPeriodSeconds"`
}

// Windows returns the Windows service settings: automatic start, and a restart
// RestartDelay after any failure.
func Windows(s Spec) WindowsSettings {
	return WindowsSettings{
		Name: Name, DisplayName: DisplayName, Description: Description,
		Executable: s.Executable, Arguments: s.Arguments(), StartType: "automatic", Env: s.Env,
		OnFailure: "restart", RestartDelay: RestartDelay.String(), ResetPeriod: 60,
	}
}

// String is the settings as indented JSON, for golden files and `service install --print`.
func (w WindowsSettings) String() string {
	b, _ := json.MarshalIndent(w, "", "  ")
	return string(b) + "\n"
}

// checkTemplateSafe refuses text that kardianos/service's template engine would interpret:
// the rendered file is handed to it as a custom template with no actions.
func checkTemplateSafe(text string) (string, error) {
	if strings.Contains(text, "{{") || strings.Contains(text, "}}") {
		return "", errors.New("a path or variable contains {{ or }}, which the service library cannot write")
	}
	return text, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Definition is the service definition for this OS: the unit, the plist, or the Windows
// settings (what `service install --print` shows).
func Definition(s Spec) (string, error) {
	switch runtime.GOOS {
	case "linux":
		return SystemdUnit(s)
	case "darwin":
		return LaunchdPlist(s)
	case "windows":
		return Windows(s).String(), nil
	}
	return "", fmt.Errorf("%w on %s", ErrUnsupported, runtime.GOOS)
}
