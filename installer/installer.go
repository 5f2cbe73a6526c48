// Package installer runs the agent as a background service of the logged-in user: a systemd
// user unit on Linux, a LaunchAgent on macOS, a Windows service that restarts on failure —
// through kardianos/service, with the unit and plist rendered here (render.go).
package installer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/kardianos/service"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
)

// Service names.
const (
	Name        = "mcp-gateway-agent"
	DisplayName = "mcp-gateway agent"
	Description = "mcp-gateway agent: connects this machine's MCP servers to the hub"
)

// Spec is what the service runs, and with which environment.
type Spec struct {
	Executable string            // absolute path of the agent binary
	ConfigPath string            // absolute path of config.toml
	Env        map[string]string // PATH and HOME of the installing user (more on Windows)
	WorkDir    string            // the user's home directory
	StderrPath string            // macOS: where launchd sends the agent's stderr (crashes)
}

// Arguments are the agent's arguments in the service: the hidden `service run` command.
func (s Spec) Arguments() []string { return []string{"service", "run", "--config", s.ConfigPath} }

// envNames are the variables carried from the installing user into the service, so that
// backends started with `npx`, `uvx` and the like find their tools and caches.
var envNames = map[string][]string{
	"windows": {"PATH", "USERPROFILE", "HOME", "APPDATA", "LOCALAPPDATA", config.EnvHome},
	"":        {"PATH", "HOME", config.EnvHome},
}

// DefaultSpec is the service for this binary and configPath (default config.ConfigPath),
// with the current user's environment.
func DefaultSpec(configPath string) (Spec, error) {
	exe, err := os.Executable()
	if err != nil {
		return Spec{}, fmt.Errorf("find the agent's binary: %w", err)
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	if configPath, err = config.ResolvePath(configPath); err != nil {
		return Spec{}, err
	}
	if configPath, err = filepath.Abs(configPath); err != nil {
		return Spec{}, err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return Spec{}, fmt.Errorf("find the home directory: %w", err)
	}
	s := Spec{Executable: exe, ConfigPath: configPath, WorkDir: home, Env: map[string]string{}}
	names, ok := envNames[runtime.GOOS]
	if !ok {
		names = envNames[""]
	}
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			s.Env[n] = v
		}
	}
	if logPath, err := config.LogPath(); err == nil {
		s.StderrPath = filepath.Join(filepath.Dir(logPath), "stderr.log")
	}
	return s, nil
}

// ErrNotInstalled is returned by the commands that need an installed service.
var ErrNotInstalled = errors.New("the agent service is not installed (mcp-gateway-agent service install)")

// Manager installs and controls the service described by a Spec.
type Manager struct {
	spec Spec
	svc  service.Service
}

// NewManager prepares the service for spec. It fails on a machine whose service manager
// this package does not support (for example Linux without systemd).
func NewManager(spec Spec) (*Manager, error) {
	opts, err := platformOptions(spec)
	if err != nil {
		return nil, err
	}
	svc, err := service.New(noProgram{}, serviceConfig(spec, opts))
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	return &Manager{spec: spec, svc: svc}, nil
}

func serviceConfig(spec Spec, opts service.KeyValue) *service.Config {
	return &service.Config{
		Name: Name, DisplayName: DisplayName, Description: Description,
		Executable: spec.Executable, Arguments: spec.Arguments(),
		EnvVars: spec.Env, WorkingDirectory: spec.WorkDir, Option: opts,
	}
}

// noProgram is the service body for managing from the command line; running as the
// service goes through Run instead.
type noProgram struct{}

func (noProgram) Start(service.Service) error { return nil }
func (noProgram) Stop(service.Service) error  { return nil }
