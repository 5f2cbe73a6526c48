package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// ErrNotRunnable is matched by CheckRunnable's refusals: the backend's command or working
// directory is not there.
var ErrNotRunnable = errors.New("backend cannot start here")

// CheckRunnable checks what can be checked of b before it is written: a stdio backend's
// working directory exists and its command is an executable file — a path (relative to the
// working directory) or a name found on the PATH the server will get (its own env's PATH,
// else pathEnv, the agent's). It returns what it found or why it could not check (an HTTP
// backend is reached only when the agent runs), or an ErrNotRunnable error naming the command.
func CheckRunnable(b backend.Config, pathEnv string) (string, error) {
	if b.Transport != backend.TransportStdio {
		return fmt.Sprintf("not checked: %s is reached when the agent runs", b.URL), nil
	}
	if b.Cwd != "" {
		if st, err := os.Stat(b.Cwd); err != nil || !st.IsDir() {
			return "", fmt.Errorf("%w: working directory %q does not exist (--cwd)", ErrNotRunnable, b.Cwd)
		}
	}
	if strings.ContainsRune(b.Command, '/') || strings.ContainsRune(b.Command, filepath.Separator) {
		p := b.Command
		if !filepath.IsAbs(p) && b.Cwd != "" {
			p = filepath.Join(b.Cwd, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%w: command %s: %w", ErrNotRunnable, b.Command, err)
		}
		return "found " + p, nil
	}
	if v, ok := b.Env["PATH"]; ok {
		pathEnv = v
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		for _, name := range candidates(b.Command) {
			p := filepath.Join(dir, name)
			if executable(p) == nil {
				return "found " + p + " on this PATH (a service's PATH may differ)", nil
			}
		}
	}
	return "", fmt.Errorf("%w: command %q is not on PATH (%s): install it, give its full path, "+
		"or add --no-check if the agent runs with another PATH", ErrNotRunnable, b.Command, pathEnv)
}

// candidates are the file names a command name may have: on Windows with PATHEXT's endings.
func candidates(name string) []string {
	if runtime.GOOS != "windows" || filepath.Ext(name) != "" {
		return []string{name}
	}
	out := []string{name}
	for _, ext := range filepath.SplitList(os.Getenv("PATHEXT")) {
		out = append(out, name+strings.ToLower(ext))
	}
	return out
}

func executable(p string) error {
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("no such file")
	case err != nil:
		return err
	case st.IsDir():
		return errors.New("is a directory")
	case runtime.GOOS != "windows" && st.Mode().Perm()&0o111 == 0:
		return errors.New("not executable (chmod +x it)")
	}
	return nil
}
