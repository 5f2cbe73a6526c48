//go:build windows

package control

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// Listen opens the control endpoint for path as a named pipe (Windows has no unix socket
// files the agent can rely on): \\.\pipe\mcp-gateway-agent-<hash of path>, so that agents
// with different homes do not meet. Its security descriptor grants the current user only,
// and the first instance is exclusive: a second agent with the same home fails with
// ErrAgentRunning. The path itself is not created.
func Listen(path string) (net.Listener, error) {
	sid, err := currentUserSID()
	if err != nil {
		return nil, fmt.Errorf("control pipe: %w", err)
	}
	name := PipeName(path)
	ln, err := winio.ListenPipe(name, &winio.PipeConfig{
		SecurityDescriptor: "D:P(A;;GA;;;" + sid + ")", // protected DACL: this user, full access; nobody else
		InputBufferSize:    64 << 10,
		OutputBufferSize:   64 << 10,
	})
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, fmt.Errorf("%w: it holds %s; stop it first (`mcp-gateway-agent service stop`), or watch it with `mcp-gateway-agent dashboard`", ErrAgentRunning, name)
		}
		return nil, fmt.Errorf("control pipe %s: %w", name, err)
	}
	return ln, nil
}

func dial(ctx context.Context, path string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, PipeName(path))
}

func currentUserSID() (string, error) {
	tok := windows.GetCurrentProcessToken()
	u, err := tok.GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("read the current user: %w", err)
	}
	return u.User.Sid.String(), nil
}
