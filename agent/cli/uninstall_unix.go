//go:build !windows

package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func platformBinDirs() []string  { return nil }
func platformDataDirs() []string { return nil }

// rcFiles are the shell startup files install.sh may have added its PATH line to.
func rcFiles() ([]string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("find the home directory: %w", err)
	}
	zdot := os.Getenv("ZDOTDIR")
	if zdot == "" {
		zdot = home
	}
	xdg := os.Getenv("XDG_CONFIG_HOME")
	if xdg == "" {
		xdg = filepath.Join(home, ".config")
	}
	return dedupe([]string{
		filepath.Join(home, ".profile"), filepath.Join(home, ".bashrc"), filepath.Join(home, ".bash_profile"),
		filepath.Join(home, ".bash_login"), filepath.Join(home, ".zshrc"), filepath.Join(zdot, ".zshrc"),
		filepath.Join(xdg, "fish", "config.fish"),
	}), nil
}

// pathEntries are the startup files that hold a marked PATH line.
func pathEntries() ([]string, error) {
	files, err := rcFiles()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(PathMarker)) {
			out = append(out, f)
		}
	}
	return out, nil
}

// removePathEntries drops the marked lines, rewriting each file in place so that it keeps its
// mode, owner and symlinks.
func removePathEntries(w io.Writer) error {
	files, err := pathEntries()
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read %s: %w", f, err)
		}
		if err := os.WriteFile(f, dropMarkedLines(b), 0o644); err != nil {
			return fmt.Errorf("rewrite %s: %w", f, err)
		}
		fmt.Fprintf(w, "Removed the PATH line from %s\n", f)
	}
	return nil
}

// dropMarkedLines removes every line that carries PathMarker.
func dropMarkedLines(b []byte) []byte {
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.Contains(line, []byte(PathMarker)) {
			out = append(out, line...)
		}
	}
	return out
}

func removeEntry(path string) error {
	if err := os.RemoveAll(path); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}
