package installer

import (
	"fmt"

	"github.com/kardianos/service"
)

// platformOptions makes kardianos/service write our own user unit (render.go).
func platformOptions(spec Spec) (service.KeyValue, error) {
	if sys := service.ChosenSystem(); sys == nil || sys.String() != "linux-systemd" {
		found := "no service manager"
		if sys != nil {
			found = sys.String()
		}
		return nil, fmt.Errorf("%w: this machine does not run systemd (found %s); start `mcp-gateway-agent run --headless` from your own init system instead", ErrUnsupported, found)
	}
	unit, err := SystemdUnit(spec)
	if err != nil {
		return nil, err
	}
	return service.KeyValue{"UserService": true, "SystemdScript": unit}, nil
}

// unitHint is said after an install.
const unitHint = "A user unit runs while you are logged in; to keep it running after logout: loginctl enable-linger $USER"
