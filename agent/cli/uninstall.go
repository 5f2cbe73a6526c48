package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
)

const uninstallUsage = `  uninstall [--yes] [--purge]        remove the service, the binary and the PATH lines of
                                     install.sh; --purge also removes the config and logs
`

// PathMarker ends every line install.sh adds to a shell startup file; uninstall removes
// exactly the lines that carry it.
const PathMarker = "# added by mcp-gateway-agent install.sh"

// uninstallPlan is what uninstall will remove, shown before it asks.
type uninstallPlan struct {
	home     string   // the agent's home (config, logs)
	binDirs  []string // existing directories the installers put the binary in
	pathOwns []string // where the bin directory is on PATH: startup files, or the user PATH
	purge    bool
}

func uninstallCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("uninstall", stderr)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	purge := fs.Bool("purge", false, "also remove the config, logs and state in the agent's home")
	if err := parse(fs, args); err != nil {
		return err
	}
	plan, err := planUninstall(*purge)
	if err != nil {
		return err
	}
	plan.describe(stdout)
	if !*yes && !confirm(stdin, stdout) {
		return errors.New("not confirmed; nothing was removed (use --yes to uninstall without asking)")
	}
	if err := removeService(stdout); err != nil {
		return fmt.Errorf("%w; nothing else was removed", err)
	}
	return plan.run(stdout)
}

func planUninstall(purge bool) (*uninstallPlan, error) {
	home, err := config.Home()
	if err != nil {
		return nil, err
	}
	p := &uninstallPlan{home: home, purge: purge}
	dirs, err := binDirs()
	if err != nil {
		return nil, err
	}
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			p.binDirs = append(p.binDirs, d)
		}
	}
	if p.pathOwns, err = pathEntries(); err != nil {
		return nil, err
	}
	return p, nil
}

// binDirs are the directories the binary may have been installed in: the agent's home bin/,
// install.sh's ~/.mcp-gateway-agent/bin (when MCPGW_AGENT_HOME points elsewhere) and, on
// Windows, install.ps1's %LOCALAPPDATA%\mcp-gateway-agent\bin.
func binDirs() ([]string, error) {
	d, err := config.BinDir()
	if err != nil {
		return nil, err
	}
	out := []string{d}
	if h, err := os.UserHomeDir(); err == nil {
		out = append(out, filepath.Join(h, config.HomeDirName, config.BinDirName))
	}
	out = append(out, platformBinDirs()...)
	return dedupe(out), nil
}

func dedupe(paths []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		if c := filepath.Clean(p); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

func (p *uninstallPlan) describe(w io.Writer) {
	fmt.Fprintln(w, "This removes:")
	fmt.Fprintln(w, "  - the agent's service, if it is installed")
	for _, d := range p.binDirs {
		fmt.Fprintf(w, "  - the binary directory %s\n", d)
	}
	for _, f := range p.pathOwns {
		fmt.Fprintf(w, "  - the PATH entry in %s\n", f)
	}
	if p.purge {
		fmt.Fprintf(w, "  - the agent's configuration, logs and state in %s\n", p.home)
	} else {
		fmt.Fprintf(w, "It keeps the configuration in %s (--purge removes it).\n", p.home)
	}
}

// confirm asks on stdin; anything but y or yes, or no answer at all, is a no.
func confirm(stdin io.Reader, stdout io.Writer) bool {
	fmt.Fprint(stdout, "Uninstall mcp-gateway-agent? [y/N] ")
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil {
		fmt.Fprintln(stdout) // no answer: end the prompt's line
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

func (p *uninstallPlan) run(w io.Writer) error {
	var errs []error
	if err := removePathEntries(w); err != nil {
		errs = append(errs, err)
	}
	for _, d := range p.binDirs {
		if err := removeOwned(d, binFile, w); err != nil {
			errs = append(errs, err)
		}
	}
	if p.purge {
		for _, d := range append([]string{p.home}, platformDataDirs()...) {
			if err := removeOwned(d, homeFile, w); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintln(w, "mcp-gateway-agent is uninstalled.")
	return nil
}

// binFile: the files an installer or an update leaves in a bin directory.
func binFile(name string) bool {
	base := strings.TrimPrefix(name, ".")
	return strings.HasPrefix(base, "mcp-gateway-agent")
}

// homeFile: the files and folders of the agent's home (config.toml and its backups, logs/,
// agent.sock, update state). bin/ was handled before, and is still there only if it holds
// files that are not the agent's.
func homeFile(name string) bool {
	switch name {
	case config.ConfigFileName, config.LogDirName, config.SocketFileName, config.SocketFileName + ".lock", config.StateFileName:
		return true
	}
	return strings.HasPrefix(name, config.ConfigFileName+".") || strings.HasPrefix(name, "update-")
}

// removeOwned removes the entries of dir that owned accepts, then dir itself if that left it
// empty. A directory that holds anything else (MCPGW_AGENT_HOME pointed at a shared folder)
// keeps those files, and the output says so.
func removeOwned(dir string, owned func(string) bool, w io.Writer) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	var kept []string
	for _, e := range entries {
		if !owned(e.Name()) {
			kept = append(kept, e.Name())
			continue
		}
		if err := removeEntry(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	if len(kept) > 0 {
		fmt.Fprintf(w, "Kept %s: it also holds %s, which the agent did not put there.\n", dir, strings.Join(kept, ", "))
		return nil
	}
	if err := os.Remove(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	fmt.Fprintf(w, "Removed %s\n", dir)
	return nil
}
