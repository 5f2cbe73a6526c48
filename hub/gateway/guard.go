package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

type identityKey struct{}

// anonymousID is the user id of a caller without a key under anonymous_role. Real user ids
// are generated and never take this value.
const anonymousID = "anonymous"

// identityFrom returns the caller that guard attached to the request.
func identityFrom(ctx context.Context) auth.Identity {
	id, _ := ctx.Value(identityKey{}).(auth.Identity)
	return id
}

// guard checks Host and Origin (DNS rebinding), then the API key, before h runs.
func (g *Gateway) guard(ep Endpoint, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var start time.Time
		if g.cfg.Tracer != nil {
			start = time.Now()
		}
		if !g.hostAllowed(r.Host) {
			httpError(w, http.StatusForbidden, "host "+r.Host+" is not allowed")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !g.originAllowed(o) {
			httpError(w, http.StatusForbidden, "origin "+o+" is not allowed")
			return
		}
		id, status, msg := g.authenticate(r)
		if status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", g.challenge(r, msg))
			}
			httpError(w, status, msg)
			return
		}
		surface, bad := g.surfaceOf(ep, id, r)
		if bad != "" {
			httpError(w, http.StatusBadRequest, bad)
			return
		}
		ctx := context.WithValue(r.Context(), identityKey{}, id)
		if surface == SurfaceDiscovery {
			ctx = context.WithValue(ctx, surfaceKey{}, true)
		}
		if g.cfg.Tracer != nil {
			ctx = g.withMarks(ctx, r, start)
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// challenge is the WWW-Authenticate of a 401. With the hub's authorization server on, it
// names the protected-resource metadata (RFC 9728 5.1), where MCP clients start the OAuth
// flow; error="invalid_token" only when a credential was sent and refused (RFC 6750 3.1).
func (g *Gateway) challenge(r *http.Request, msg string) string {
	msg = strings.NewReplacer(`"`, "'", `\`, "/").Replace(msg)
	sent := r.Header.Get("Authorization") != ""
	if g.cfg.Tokens == nil {
		return `Bearer realm="mcp-gateway", error="invalid_token", error_description="` + msg + `"`
	}
	h := `Bearer realm="mcp-gateway"`
	if sent {
		h += `, error="invalid_token", error_description="` + msg + `"`
	}
	if u := g.cfg.Tokens.ResourceMetadata(r); u != "" {
		h += `, resource_metadata="` + u + `"`
	}
	return h + `, scope="` + g.cfg.Tokens.Scope() + `"`
}

func (g *Gateway) authenticate(r *http.Request) (auth.Identity, int, string) {
	tok, ok := auth.BearerToken(r)
	if !ok {
		if r.Header.Get("Authorization") == "" && g.cfg.AnonymousRole != "" {
			if why := notLocal(r); why != "" {
				return auth.Identity{}, http.StatusUnauthorized, "missing API key: anonymous access is for local clients only, and " + why
			}
			return auth.Identity{UserID: anonymousID, Name: anonymousID, Role: g.cfg.AnonymousRole, Kind: "user"}, 0, ""
		}
		return auth.Identity{}, http.StatusUnauthorized, "missing API key: send Authorization: Bearer mcpgw_..."
	}
	id, ok := g.keys.Lookup(tok)
	if !ok && g.cfg.Tokens != nil && g.cfg.Tokens.IsAccessToken(tok) {
		var err error
		if id, err = g.cfg.Tokens.Verify(r, tok); err != nil {
			return auth.Identity{}, http.StatusUnauthorized, err.Error()
		}
		ok = true
	}
	if !ok {
		return auth.Identity{}, http.StatusUnauthorized, "invalid, expired or revoked API key"
	}
	if id.Kind == "agent" {
		return auth.Identity{}, http.StatusForbidden, "agent keys can only connect agents at /agent/ws"
	}
	if !id.AllowsMCP() {
		g.recordScopeDenied(r, id)
		return auth.Identity{}, http.StatusForbidden, `this API key has scope "` + id.Scope +
			`": it is for the admin REST API only and cannot make MCP calls; use a key of scope "mcp" or "all" (keys create --scope mcp)`
	}
	return id, 0, ""
}

// recordScopeDenied audits a key refused at /mcp (or /sse, /messages) because its scope
// does not include MCP calls. A failed record is logged: nothing ran.
func (g *Gateway) recordScopeDenied(r *http.Request, id auth.Identity) {
	ev := &store.AuditEvent{Time: time.Now(), Kind: store.AuditDenied, UserID: id.UserID, KeyID: id.KeyID,
		Caller: id.Name, Role: id.Role, Application: id.Application, Status: "denied", Decision: "deny",
		Rule: "key_scope", Action: r.Method + " " + r.URL.Path,
		Error: "key scope " + id.Scope + " does not include MCP calls", TraceID: audit.TraceID(r.Header.Get("Traceparent"))}
	if g.gov.Audit == nil {
		g.log.Info("key refused by its scope", "key", id.KeyID, "scope", id.Scope, "path", r.URL.Path)
		return
	}
	if err := g.gov.Audit.Record(ev); err != nil && !errors.Is(err, audit.ErrUnaudited) {
		g.log.Warn("a key refused by its scope was not audited", "key", id.KeyID, "err", err)
	}
}

// forwardingHeaders are set by reverse proxies and tunnels: a request carrying one came from
// elsewhere, even though it reaches a loopback listener. Any X-Forwarded-* header counts too.
var forwardingHeaders = []string{"Forwarded", "X-Real-Ip", "Via", "Cf-Connecting-Ip", "True-Client-Ip",
	"X-Client-Ip", "X-Cluster-Client-Ip", "Fastly-Client-Ip", "X-Original-Forwarded-For", "X-Originating-Ip"}

// notLocal says why a request may not act anonymously ("" if it may). anonymous_role
// (allowed on a loopback listener only) is for clients on this machine: the connection's
// peer must be a loopback address, the request must name a loopback Host, carry no
// forwarding header, and come from no web page but a loopback one. A reverse proxy on the
// same host is caught by its headers or Host; a plain TCP forwarder on the same host (ssh
// -R, socat, kubectl port-forward) connects from loopback and adds nothing, so only the
// Host its clients send gives it away (docs/API.md: the residual risk).
func notLocal(r *http.Request) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if ip := net.ParseIP(peer); ip == nil || !ip.IsLoopback() {
		return "this connection comes from " + peer + ", not from this machine"
	}
	for name := range r.Header {
		if strings.HasPrefix(name, "X-Forwarded-") || slices.Contains(forwardingHeaders, name) {
			return "this request came through a proxy (" + name + ")"
		}
	}
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	if !isLoopbackName(strings.Trim(h, "[]")) {
		return "this request is for host " + r.Host
	}
	if o := r.Header.Get("Origin"); o != "" {
		if u, err := url.Parse(o); err != nil || !isLoopbackName(u.Hostname()) {
			return "this request comes from the web page " + o
		}
	}
	return ""
}

func (g *Gateway) hostAllowed(host string) bool { return config.HostAllowed(g.cfg.AllowedHosts, host) }

func (g *Gateway) originAllowed(origin string) bool {
	if slices.Contains(g.cfg.AllowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return isLoopbackName(u.Hostname())
}

func isLoopbackName(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// httpError answers with a JSON-RPC error body, which MCP clients show to their users.
func httpError(w http.ResponseWriter, status int, msg string) {
	code := codeInvalidRequest
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		code = codeUnauthorized
	}
	writeJSON(w, status, map[string]any{
		"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": code, "message": msg},
	})
}
