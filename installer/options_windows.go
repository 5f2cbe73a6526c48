package installer

import "github.com/kardianos/service"

// platformOptions sets the recovery actions of Windows (render.go, Windows).
func platformOptions(spec Spec) (service.KeyValue, error) {
	w := Windows(spec)
	return service.KeyValue{
		"StartType":              w.StartType,
		"OnFailure":              w.OnFailure,
		"OnFailureDelayDuration": w.RestartDelay,
		"OnFailureResetPeriod":   w.ResetPeriod,
	}, nil
}

const unitHint = "The service starts with Windows and restarts after a failure. Installing it needs an administrator prompt."
