package server

import (
	"github.com/mcp-gateway/mcp-gateway/hub/install"
	"github.com/mcp-gateway/mcp-gateway/hub/releases"
	"github.com/mcp-gateway/mcp-gateway/shared/release"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

// newReleases serves the [releases] table's releases, or else those the hub built itself into
// its data directory (`releases build`).
func (s *Server) newReleases() (*releases.Handler, error) {
	log := s.log.With("component", "releases")
	if s.cfg.Releases.Enabled() || s.cfg.DataDir == "" {
		return releases.New(s.cfg.Releases, nil, log)
	}
	return releases.NewLocal(releases.LocalPaths{DataDir: s.cfg.DataDir}, log), nil
}

// installConfig is what the install scripts at /install.sh and /install.ps1 are filled in
// with. The release key is the one that signs the releases this hub serves: with a
// [releases] table, the key compiled into this hub (goreleaser builds the hub and the agent
// with the same key); without one, the key of the releases it built itself, read on each
// request (a build while the hub runs needs no restart).
func (s *Server) installConfig() install.Config {
	if !s.cfg.Releases.Enabled() && s.cfg.DataDir != "" {
		p := releases.LocalPaths{DataDir: s.cfg.DataDir}
		compiled := version.ReleaseKey
		if key, _ := p.ReadPublicKey(); key == "" {
			s.log.Info("this hub has built no agent releases yet: `mcp-gateway-hub releases build` in its source tree builds and signs them for /install.sh (docs/INSTALL.md)")
		}
		return install.Config{
			PublicURL:           s.cfg.PublicURL,
			TrustForwardedProto: s.cfg.TrustForwardedProto,
			AllowedHosts:        s.cfg.Hosts(),
			ReleaseKeyFunc: func() string {
				key, err := p.ReadPublicKey()
				if err != nil {
					s.log.Warn("the release key of this hub's own releases is unreadable; install scripts will not carry it", "err", err)
				}
				if key == "" {
					key = compiled
				}
				return key
			},
		}
	}
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
