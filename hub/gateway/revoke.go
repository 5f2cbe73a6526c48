package gateway

import (
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// EndStaleStreams ends the long-lived streams whose caller is no longer what it was when
// they opened, and returns how many it ended. current gives a key's identity now (false:
// revoked, expired, or its user disabled or deleted); *auth.Cache's Current does. The hub
// calls it after every write to keys and users and every RevocationCheck.
//
//   - Key gone: its sessions end, with their GET /mcp or /sse stream (each request would be
//     refused anyway), and its subscriptions/listen streams end with a -32001 error.
//   - Role changed: a stream was opened, and its resource subscriptions checked, under the
//     old role, so sessions that hold a stream and listen streams end (the client opens
//     them again under the new role); a session without a stream adopts the new role at
//     its next request and stays.
//
// Anonymous callers (anonymous_role, no key) are not affected.
func (g *Gateway) EndStaleStreams(current func(keyID string) (auth.Identity, bool)) int {
	stale := func(was auth.Identity) (why string, gone bool) {
		if was.KeyID == "" {
			return "", false
		}
		now, ok := current(was.KeyID)
		switch {
		case !ok:
			return "the API key of this stream was revoked or has expired, or its user was disabled or deleted", true
		case now.Role != was.Role:
			return "the role of this stream's key changed from " + was.Role + " to " + now.Role + ": open it again", false
		}
		return "", false
	}
	ended := 0
	for _, s := range g.sessions.all() {
		s.mu.Lock()
		id := s.identity
		s.mu.Unlock()
		if why, gone := stale(id); gone || (why != "" && s.hasStream()) {
			g.log.Info("session ended: its caller changed", "session", s.id, "key_id", id.KeyID, "user", id.UserID, "why", why)
			g.sessions.remove(s.id)
			ended++
		}
	}
	for _, l := range g.subs.all() {
		if why, _ := stale(l.identity); why != "" {
			g.log.Info("subscriptions/listen stream ended: its caller changed", "key_id", l.identity.KeyID, "user", l.identity.UserID, "why", why)
			l.endWith(why)
			ended++
		}
	}
	return ended
}
