package server

import "github.com/mcp-gateway/mcp-gateway/hub/install"

// installConfig is what the install scripts at /install.sh and /install.ps1 are filled in with.
func (s *Server) installConfig() install.Config {
	return install.Config{
		PublicURL:           s.cfg.PublicURL,
		TrustForwardedProto: s.cfg.TrustForwardedProto,
		AllowedHosts:        s.cfg.Hosts(),
	}
}
