package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/mcp-gateway/mcp-gateway/installer"
)

// removeService stops and removes the agent's service, if one is installed.
func removeService(w io.Writer) error {
	spec, err := installer.DefaultSpec("")
	if err != nil {
		return fmt.Errorf("remove the service: %w", err)
	}
	m, err := installer.NewManager(spec)
	if errors.Is(err, installer.ErrUnsupported) {
		fmt.Fprintln(w, "No supported service manager here, so no service to remove.")
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove the service: %w", err)
	}
	switch err := m.Uninstall(); {
	case errors.Is(err, installer.ErrNotInstalled):
		fmt.Fprintln(w, "No service was installed.")
	case err != nil:
		return fmt.Errorf("remove the service: %w", err)
	default:
		fmt.Fprintln(w, "Stopped and removed the service.")
	}
	return nil
}
