package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/kardianos/service"
)

// ErrUnsupported is returned where this machine's service manager is not supported.
var ErrUnsupported = errors.New("installing the agent as a service is not supported here")

// UnitPath is the file the service manager reads: the systemd unit or the LaunchAgent
// plist; empty on Windows, where the service lives in the registry.
func UnitPath() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	switch runtime.GOOS {
	case "linux":
		return filepath.Join(home, ".config", "systemd", "user", Name+".service"), nil
	case "darwin":
		return filepath.Join(home, "Library", "LaunchAgents", Name+".plist"), nil
	}
	return "", nil
}

// Hint says how the installed service behaves on this OS.
func Hint() string { return unitHint }

// Install installs the service; an installed one is stopped and replaced, so that a new
// binary path or environment takes effect.
func (m *Manager) Install() error {
	if m.installed() {
		_ = m.svc.Stop() // it may not be running
		if err := m.remove(); err != nil {
			return fmt.Errorf("remove the old service: %w", err)
		}
	}
	if err := m.svc.Install(); err != nil {
		return fmt.Errorf("install the service: %w", err)
	}
	return nil
}

// Uninstall stops and removes the service.
func (m *Manager) Uninstall() error {
	if !m.installed() {
		return ErrNotInstalled
	}
	_ = m.svc.Stop()
	if err := m.remove(); err != nil {
		return fmt.Errorf("uninstall the service: %w", err)
	}
	return nil
}

// remove uninstalls through the library. Where a unit file is the service, its absence
// is what counts: without a user bus the library removes the file (or fails before) and
// then fails to reload the manager, and the file is ours to delete.
func (m *Manager) remove() error {
	err := m.svc.Uninstall()
	unit, _ := UnitPath()
	if err == nil || unit == "" {
		return err
	}
	if rerr := os.Remove(unit); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Start, Stop and Restart control the installed service.
func (m *Manager) Start() error   { return m.control("start", m.svc.Start) }
func (m *Manager) Stop() error    { return m.control("stop", m.svc.Stop) }
func (m *Manager) Restart() error { return m.control("restart", m.svc.Restart) }

func (m *Manager) control(what string, f func() error) error {
	if !m.installed() {
		return ErrNotInstalled
	}
	if err := f(); err != nil {
		return fmt.Errorf("%s the service: %w", what, err)
	}
	return nil
}

// State is what `service status` reports.
type State struct {
	Installed bool
	Running   bool
	// Problem is what the service manager said when it could not tell (or the service
	// failed); empty otherwise.
	Problem string
	// UnitPath is the unit or plist file, when there is one.
	UnitPath string
}

// State asks the service manager about the service.
func (m *Manager) State() State {
	st := State{Installed: m.installed()}
	st.UnitPath, _ = UnitPath()
	status, err := m.svc.Status()
	switch {
	case err == nil:
		st.Running = status == service.StatusRunning
	case errors.Is(err, service.ErrNotInstalled):
	default:
		st.Problem = err.Error()
	}
	return st
}

func (m *Manager) installed() bool {
	if p, err := UnitPath(); err == nil && p != "" {
		_, err := os.Stat(p)
		return err == nil
	}
	_, err := m.svc.Status()
	return !errors.Is(err, service.ErrNotInstalled)
}
