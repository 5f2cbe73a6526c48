// Package oauth makes the hub an OAuth 2.1 authorization server for its own /mcp: metadata
// (RFC 9728, RFC 8414), authorization code with PKCE behind a sign-in and consent page,
// client registration (RFC 7591, Client ID Metadata Documents), rotation and revocation.
package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Token prefixes: what each random string is, at a glance in a log or a leaked file, and so
// that the gateway tells them from API keys (mcpgw_) without a lookup.
const (
	AccessPrefix  = "mcpgwat_"
	RefreshPrefix = "mcpgwrt_"
	codePrefix    = "mcpgwac_"
	clientPrefix  = "mcpgwcl_"
)

// Scope is the one scope the hub grants: MCP calls at /mcp as the signed-in user.
const Scope = "mcp"

// ResourcePath is the path of the protected resource, the hub's MCP endpoint.
const ResourcePath = "/mcp"

// Passwords checks a user's password with the hub's lockouts (*auth.Authenticator).
type Passwords interface {
	CheckPassword(ctx context.Context, name, password, from string) (*store.User, error)
}

// Users gives a user as of now, disabled ones included (*auth.Cache).
type Users interface {
	User(id string) (store.User, bool)
}

// Config is what the authorization server needs. Every field is required unless it says not.
type Config struct {
	Store     store.Store
	Passwords Passwords
	Users     Users
	// BaseURL is the hub's public address for a request (public_url, else the request's
	// scheme and Host): the issuer, and the resource is BaseURL + /mcp.
	BaseURL func(r *http.Request) (string, error)
	// ClientAddress is the address failed sign-ins are counted against (auth.ClientAddress).
	ClientAddress func(r *http.Request) string
	CodeTTL       time.Duration
	AccessTTL     time.Duration
	RefreshTTL    time.Duration
	// Registration turns dynamic client registration on.
	Registration bool
	// DocumentAllowPrivate lets client metadata documents come from loopback and private
	// addresses, over http on loopback too: tests and closed networks only.
	DocumentAllowPrivate bool
	// DocumentRoots, if not nil, are the roots trusted for documents instead of the system's.
	DocumentRoots *x509.CertPool
	// Secret keys the sign-in form's CSRF token, so that hubs sharing it (the JWT secret)
	// accept each other's forms; nil: a random key of this process.
	Secret []byte
	// Audit records sign-ins, denials, reuse and revocations (kind login); nil: none.
	Audit Recorder
	Log   *slog.Logger // nil: discard
	Now   func() time.Time
}

// Server is the authorization server. Mount its endpoints on the hub's mux; the gateway
// verifies access tokens with Verify.
type Server struct {
	cfg       Config
	log       *slog.Logger
	now       func() time.Time
	documents *documents
	registers *ratelimit.Limiter // registrations per client address
	csrfKey   [32]byte           // keys the CSRF token of the sign-in form to its cookie

	mu      sync.Mutex
	tokens  map[string]*cached   // access token hash → what the store said, recently
	grants  map[string]grantOf   // grant id → its user and client, for Current
	revoked map[string]time.Time // grant id → when this hub revoked it (ahead of the cache)
}

// New returns a Server over cfg.
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Log, now: cfg.Now, tokens: map[string]*cached{}, grants: map[string]grantOf{}, revoked: map[string]time.Time{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if len(cfg.Secret) > 0 {
		m := hmac.New(sha256.New, cfg.Secret)
		m.Write([]byte("mcp-gateway oauth sign-in form"))
		copy(s.csrfKey[:], m.Sum(nil))
	} else if _, err := rand.Read(s.csrfKey[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms (Go 1.24+ crashes first)
	}
	s.registers = ratelimit.New(ratelimit.Config{Key: ratelimit.Rate{PerSecond: RegisterRate, Burst: RegisterBurst}})
	s.documents = newDocuments(cfg.DocumentAllowPrivate, cfg.DocumentRoots, s.log)
	return s
}

// Mount registers the metadata and /oauth/ endpoints. wrap guards each (Host checks).
func (s *Server) Mount(mux *http.ServeMux, wrap func(http.Handler) http.Handler) {
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, wrap(f)) }
	h("GET /.well-known/oauth-protected-resource", s.protectedResource)
	h("GET /.well-known/oauth-protected-resource/mcp", s.protectedResource)
	h("GET /.well-known/oauth-authorization-server", s.authorizationServer)
	h("GET /oauth/authorize", s.authorizeGet)
	h("POST /oauth/authorize", s.authorizePost)
	h("POST /oauth/token", s.token)
	h("POST /oauth/revoke", s.revoke)
	if s.cfg.Registration {
		h("POST /oauth/register", s.register)
	}
}

// Registrations a client address may make: a burst, then one a minute. Registration needs no
// credential, so this bounds what one address can add to the clients table.
const (
	RegisterRate  = 1.0 / 60
	RegisterBurst = 20
)

// Run deletes expired codes and tokens every hour until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	go func() { _ = s.registers.Run(ctx) }()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.cfg.Store.PruneOAuth(ctx, s.now()); err != nil {
				s.log.Warn("oauth: prune expired codes and tokens", "err", err)
			}
			s.forgetOld()
		}
	}
}

// issuer and resource of a request: the hub's base URL, and its /mcp.
func (s *Server) issuer(r *http.Request) (string, error) {
	base, err := s.cfg.BaseURL(r)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(base, "/"), nil
}

// Resource is the RFC 8707 resource identifier of the hub's /mcp for this request.
func (s *Server) Resource(r *http.Request) (string, error) {
	iss, err := s.issuer(r)
	if err != nil {
		return "", err
	}
	return iss + ResourcePath, nil
}

// ResourceMetadata is the URL of the protected-resource metadata of /mcp, for the
// resource_metadata parameter of a 401's WWW-Authenticate ("" if the base URL is unknown).
func (s *Server) ResourceMetadata(r *http.Request) string {
	iss, err := s.issuer(r)
	if err != nil {
		return ""
	}
	return iss + "/.well-known/oauth-protected-resource" + ResourcePath
}

// random returns prefix + 32 random bytes in unpadded base64url.
func random(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // see New
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// hash is the stored form of a code or token: hex SHA-256.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// oauthError answers an endpoint's error in RFC 6749's JSON shape.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, fmt.Sprintf("encode response: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
