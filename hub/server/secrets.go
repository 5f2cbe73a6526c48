package server

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"os"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
)

// LoadMasterKey loads the master key for cfg: MCPGW_MASTER_KEY, else master.key in the data
// directory (created at first start). With neither (no data directory) it is nil, and the
// store refuses to write what it would seal.
func LoadMasterKey(cfg config.Config) (*masterkey.Key, error) {
	k, err := masterkey.Load(cfg.DataDir, os.Getenv(masterkey.EnvVar))
	if errors.Is(err, masterkey.ErrNoKey) {
		return nil, nil
	}
	return k, err
}

// secrets lists the hub's own secrets in the forms they are written in (the JWT secret as
// configured, stored, and as base64 and hex of its bytes; the database password; the master
// key in its written forms), for backend.Options.Secrets: a backend never hands one back through its
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
	if s.masterKey != nil {
		out = append(out, s.masterKey.Forms()...)
	}
	if u, err := url.Parse(s.cfg.DatabaseURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, url.QueryEscape(p))
		}
	}
	return out
}
