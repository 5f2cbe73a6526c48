//go:build !linux && !darwin && !windows

package installer

import (
	"fmt"
	"runtime"

	"github.com/kardianos/service"
)

func platformOptions(Spec) (service.KeyValue, error) {
	return nil, fmt.Errorf("%w on %s; start `mcp-gateway-agent run --headless` from your own init system", ErrUnsupported, runtime.GOOS)
}

const unitHint = ""
