package installer

import "github.com/kardianos/service"

// platformOptions makes kardianos/service write our own LaunchAgent (render.go).
func platformOptions(spec Spec) (service.KeyValue, error) {
	plist, err := LaunchdPlist(spec)
	if err != nil {
		return nil, err
	}
	return service.KeyValue{"UserService": true, "LaunchdConfig": plist, "KeepAlive": true, "RunAtLoad": true}, nil
}

const unitHint = "The LaunchAgent starts at login and is restarted when it stops."
