package server

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/install"
	"github.com/mcp-gateway/mcp-gateway/hub/oauth"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// newOAuth builds the hub's authorization server ([oauth], docs/OAUTH.md); nil when it is
// disabled. Sign-ins go through the same lockouts as /api/v1/auth/login.
func (s *Server) newOAuth(sessions *auth.Authenticator) (*oauth.Server, error) {
	o := s.cfg.OAuth
	if o.Disable {
		return nil, nil
	}
	var roots *x509.CertPool
	if o.DocumentCAFile != "" {
		pem, err := os.ReadFile(o.DocumentCAFile)
		if err != nil {
			return nil, fmt.Errorf("oauth.document_ca_file: %w", err)
		}
		if roots, err = x509.SystemCertPool(); err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("oauth.document_ca_file %s: no PEM certificate in it", o.DocumentCAFile)
		}
	}
	ic := install.Config{PublicURL: s.cfg.PublicURL, TrustForwardedProto: s.cfg.TrustForwardedProto, AllowedHosts: s.cfg.Hosts()}
	proxies := s.cfg.Proxies()
	return oauth.New(oauth.Config{
		Store: s.Store, Passwords: sessions, Users: s.Keys,
		BaseURL:       ic.HubURL,
		ClientAddress: func(r *http.Request) string { return auth.ClientFrom(r, proxies) },
		CodeTTL:       o.CodeTTL.Duration, AccessTTL: o.AccessTTL.Duration, RefreshTTL: o.RefreshTTL.Duration,
		Registration:         !o.DisableRegistration,
		DocumentAllowPrivate: o.DocumentAllowPrivate, DocumentRoots: roots,
		Secret: s.jwtSecret, Audit: serverAudit{s},
		Log: s.log.With("component", "oauth"),
	}), nil
}

// currentCaller is the gateway's view of a stream's caller as of now: an API key from the
// key cache, an OAuth grant from the authorization server.
func (s *Server) currentCaller(keyID string) (auth.Identity, bool) {
	if strings.HasPrefix(keyID, oauth.GrantKeyPrefix) {
		if s.OAuth == nil {
			return auth.Identity{}, false
		}
		return s.OAuth.Current(keyID)
	}
	return s.Keys.Current(keyID)
}

// gatewayTokens is the authorization server as the gateway takes it: a nil interface when
// it is disabled, not an interface holding a nil pointer.
func (s *Server) gatewayTokens() gateway.Tokens {
	if s.OAuth == nil {
		return nil
	}
	return s.OAuth
}

// serverAudit records into the hub's audit trail, which is built after the authorization
// server (govern), so it is looked up at each event.
type serverAudit struct{ s *Server }

func (a serverAudit) Record(ev *store.AuditEvent) error { return a.s.Audit.Record(ev) }
