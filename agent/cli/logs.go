package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/logfile"
)

const logsUsage = `  logs [-n N] [-f] [--file PATH]     the last N lines (default 50) of the service's log; -f follows it
`

func logsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("logs", stderr)
	n := fs.Int("n", 50, "lines to print")
	follow := fs.Bool("f", false, "keep printing new lines (across rotations) until interrupted")
	file := fs.String("file", "", "log file (default ~/.mcp-gateway-agent/logs/agent.log)")
	configPathFlag(fs) // accepted everywhere; the log does not depend on it
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 0 {
		return fmt.Errorf("%w: logs: -n must not be negative", ErrUsage)
	}
	path := *file
	if path == "" {
		p, err := config.LogPath()
		if err != nil {
			return err
		}
		path = p
	}
	var offset int64
	if st, err := os.Stat(path); err == nil {
		offset = st.Size()
	}
	lines, err := logfile.Tail(path, *n)
	switch {
	case errors.Is(err, os.ErrNotExist) && *follow:
		fmt.Fprintf(stderr, "No log at %s yet; waiting for it.\n", path)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no log at %s: the log file is written when the agent runs as a service (`run` logs to the terminal)", path)
	case err != nil:
		return err
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	if !*follow {
		return nil
	}
	return logfile.Follow(ctx, path, offset, stdout, 0)
}
