package server

import (
	"github.com/mcp-gateway/mcp-gateway/hub/install"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// installConfig is what the install scripts at /install.sh and /install.ps1 are filled in
// with. The release key is the one compiled into this hub (goreleaser builds the hub and the
// agent with the same key), so a script from this hub checks releases against it.
func (s *Server) installConfig() install.Config {
	key := version.ReleaseKey
	if _, err := release.ParsePublicKey(key); key != "" && err != nil {
		s.log.Warn("the release key compiled into this hub is not valid; install scripts will not carry it", "err", err)
		key = ""
	}
	if key == "" {
		s.log.Info("this hub has no release key: the install scripts it serves stop before installing unless the user gives --release-key or --insecure-skip-signature (docs/INSTALL.md)")
	}
	return install.Config{
		PublicURL:           s.cfg.PublicURL,
		TrustForwardedProto: s.cfg.TrustForwardedProto,
		AllowedHosts:        s.cfg.Hosts(),
		ReleaseKey:          key,
	}
}
