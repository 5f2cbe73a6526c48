//go:build windows

package control

import (
	"context"
	"net"
)

// Listen is not available on Windows yet: a named pipe needs a dependency the project does
// not have (see docs/AGENT-TUI.md). The agent runs without a control socket there.
func Listen(path string) (net.Listener, error) { return nil, ErrUnsupported }

func dial(ctx context.Context, path string) (net.Conn, error) { return nil, ErrUnsupported }
