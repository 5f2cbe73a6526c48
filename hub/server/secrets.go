package server

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
)

// secrets lists the hub's own secrets in the forms they are written in (the JWT secret as
// configured, stored, and as base64 and hex of its bytes; the database password; the master
// key as given), for backend.Options.Secrets: a backend never hands one back through its
// errors, its health (GET /backends) or the log. Scrubbing is the second line of defence:
// the first is that only backends.exec may choose what runs on the hub's host (docs/RBAC.md).
func (s *Server) secrets() []string {
	var out []string
	if k := s.jwtSecret; len(k) > 0 {
		out = append(out, string(k), base64.RawURLEncoding.EncodeToString(k), base64.StdEncoding.EncodeToString(k),
			base64.RawStdEncoding.EncodeToString(k), hex.EncodeToString(k))
	}
	if v := os.Getenv("JWT_SECRET"); v != "" {
		out = append(out, v)
	}
	if u, err := url.Parse(s.cfg.DatabaseURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	}
	return out
}
