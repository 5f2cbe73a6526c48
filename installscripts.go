// Package mcpgateway holds what the binaries embed from the repository root: the agent install
// scripts install.sh and install.ps1, which the hub serves at /install.sh and /install.ps1.
package mcpgateway

import _ "embed" // the scripts below

var (
	//go:embed install.sh
	installSH string
	//go:embed install.ps1
	installPS1 string
)

// InstallScript returns the text of install.sh or install.ps1 as committed, with its
// placeholders not filled in; ok is false for any other name.
func InstallScript(name string) (text string, ok bool) {
	switch name {
	case "install.sh":
		return installSH, true
	case "install.ps1":
		return installPS1, true
	}
	return "", false
}
