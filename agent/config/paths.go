package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// EnvHome overrides the agent's home directory (default ~/.mcp-gateway-agent). The
// service installer carries it into the service's environment when it is set.
const EnvHome = "MCPGW_AGENT_HOME"

// The agent's files, relative to Home.
const (
	HomeDirName    = ".mcp-gateway-agent"
	ConfigFileName = "config.toml"
	LogDirName     = "logs"
	LogFileName    = "agent.log"
	SocketFileName = "agent.sock"
	BinDirName     = "bin"
	StateFileName  = "update-state.json"
	// OAuth logins to backends (docs/OAUTH-BACKENDS.md): the sealed tokens, and the key that
	// seals them (mode 0600), both beside the config file.
	OAuthTokensFileName = "oauth-tokens.json"
	OAuthKeyFileName    = "oauth.key"
)

// Home is the agent's directory: $MCPGW_AGENT_HOME, or ~/.mcp-gateway-agent.
func Home() (string, error) {
	if h := os.Getenv(EnvHome); h != "" {
		return filepath.Abs(h)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory for the agent's files: %w", err)
	}
	return filepath.Join(home, HomeDirName), nil
}

func inHome(elem ...string) (string, error) {
	h, err := Home()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{h}, elem...)...), nil
}

// OAuthPaths are the OAuth token file and its key file of the config file cfgPath (beside
// it), or of Home when cfgPath is empty.
func OAuthPaths(cfgPath string) (tokens, key string, err error) {
	dir := filepath.Dir(cfgPath)
	if cfgPath == "" {
		if dir, err = Home(); err != nil {
			return "", "", err
		}
	}
	return filepath.Join(dir, OAuthTokensFileName), filepath.Join(dir, OAuthKeyFileName), nil
}

// ConfigPath is the default config file, Home/config.toml.
func ConfigPath() (string, error) { return inHome(ConfigFileName) }

// ResolvePath is path, or ConfigPath when path is empty (no --config given).
func ResolvePath(path string) (string, error) {
	if path != "" {
		return path, nil
	}
	return ConfigPath()
}

// LogPath is the log file of the service (headless) mode, Home/logs/agent.log.
func LogPath() (string, error) { return inHome(LogDirName, LogFileName) }

// SocketPath is the control socket of a running agent, Home/agent.sock (0600).
func SocketPath() (string, error) { return inHome(SocketFileName) }

// BinDir is where the install script puts the agent's binary: Home/bin, except on Windows
// without MCPGW_AGENT_HOME, where install.ps1 uses %LOCALAPPDATA%\mcp-gateway-agent\bin.
func BinDir() (string, error) { return binDir(runtime.GOOS, os.Getenv) }

func binDir(goos string, getenv func(string) string) (string, error) {
	if local := getenv("LOCALAPPDATA"); goos == "windows" && local != "" && getenv(EnvHome) == "" {
		return filepath.Join(local, "mcp-gateway-agent", BinDirName), nil
	}
	return inHome(BinDirName)
}

// StatePath is the self-update state file, Home/update-state.json.
func StatePath() (string, error) { return inHome(StateFileName) }

// WriteAtomic writes data to path with mode through a temporary file in the same directory,
// synced and then renamed over path: a reader sees the old file or the new one, never a
// part, and two writers never share a temporary file. The directory must exist.
func WriteAtomic(path string, data []byte, mode fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if err := f.Chmod(mode); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
