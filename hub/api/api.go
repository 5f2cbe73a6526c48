// Package api is the hub's REST API under /api/v1: users, roles, keys, agents, backends,
// tools, policies, audit and usage, authenticated by JWT or API key and authorised by RBAC.
// Its OpenAPI document is built from the same route table that registers the handlers.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Deps are what the API works on. Store, Keys and Authz are required; a nil optional
// dependency makes its endpoints answer 503 "not available in this hub".
type Deps struct {
	Store store.Store // users, keys, agents, hub-local backends, settings, roles
	Keys  KeyCache    // API key lookups; refreshed after every key, user or agent write
	Authz Authorizer  // role → permissions

	Sessions Sessions      // password login and JWTs; nil: API keys only
	Audit    Recorder      // records admin changes; nil: they are only logged
	Agents   AgentSessions // connected agents
	Tools    ToolRegistry  // tool state: disable, risk override, approve
	Health   BackendHealth // every backend's state, hub-local and agents'
	Locals   LocalBackends // runs hub-local backends created through the API
	Bounds   CallBounds    // each backend's breaker and load; nil: not shown
	// HubID is this hub's id in a cluster ([cluster] id); "" for a single hub. With it,
	// GET /agents answers for the whole cluster: the agents other live hubs hold (the
	// presence table) are connected too, each named with the hub that holds it.
	HubID string
	// Logins runs the OAuth logins of hub-local backends; nil: not available.
	Logins BackendLogins
	// ConfigBackends are the names of the hub-local backends declared in hub.toml; they are
	// read-only through the API.
	ConfigBackends []string
	// ConfigGroups are the tool groups declared in hub.toml; read-only through the API.
	ConfigGroups []config.Group
	// ReloadGroups makes the gateway serve the groups of hub.toml and the store again; the
	// API calls it after each group write. Nil: groups are not served (the API refuses).
	ReloadGroups func(ctx context.Context) error
	// GroupTools returns the tools that belong to a served group (false: no such group).
	// Nil: GET /groups/{name}/tools is unavailable.
	GroupTools func(name string) ([]tools.Info, bool)
	// ToolStatesChanged is called after a tool's state was changed (risk, disabled,
	// approval), so that the tool groups whose tools moved send list_changed. Nil: nothing.
	ToolStatesChanged func()
	// PolicyFile is the hub's policy_file setting. When set, the policy endpoints are
	// read-only and show that file's rules.
	PolicyFile string
	// FilePolicy holds the rules of PolicyFile as the hub loaded them at start: the policy
	// it enforces, whatever the file says now.
	FilePolicy *policy.File
	// SetPolicy compiles f and swaps the gateway's policy; the API calls it after each write.
	SetPolicy func(f *policy.File) error

	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client address
	// that failed logins are counted by (auth.ClientFrom); empty: the connection's peer.
	TrustedProxies []netip.Prefix

	// HubURL is the hub's URL as clients reach it (public_url, else the request's scheme and
	// Host), for GET /connect; nil: that endpoint answers 503.
	HubURL func(r *http.Request) (string, error)

	// Console is the web console's sessions: a request with its cookie (and CSRF token)
	// acts as the signed-in user. nil: cookies are not looked at.
	Console ConsoleSessions

	// Rate limits the requests of each signed-in caller, by key (or user, for a token) and
	// application; nil: no limit. *ratelimit.Limiter implements it.
	Rate RateLimiter

	Now func() time.Time // defaults to time.Now
}

// RateLimiter takes one request from a caller's rate.
type RateLimiter interface {
	Allow(s ratelimit.Subject) *ratelimit.Refusal
}

// New returns the /api/v1 handler. Mount it at Prefix+"/".
func New(d Deps, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	a := &API{d: d, log: log, mux: http.NewServeMux(), paths: http.NewServeMux(), started: d.Now()}
	a.routes = a.table()
	a.doc = a.document()
	allowed := map[string][]string{}
	for _, rt := range a.routes {
		a.mux.Handle(rt.Method+" "+Prefix+rt.Path, a.wrap(rt))
		allowed[rt.Path] = append(allowed[rt.Path], rt.Method)
	}
	for p, methods := range allowed {
		a.paths.Handle(Prefix+p, methodNotAllowed(methods))
	}
	a.mux.Handle(Prefix+"/", a.paths)
	a.paths.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFound("no endpoint %s %s; the API is described at %s/openapi.json", r.Method, r.URL.Path, Prefix))
	})
	return a
}

// API is the handler returned by New.
type API struct {
	d      Deps
	log    *slog.Logger
	mux    *http.ServeMux
	paths  *http.ServeMux // path patterns without methods, for 405 and 404
	routes []route
	doc    map[string]any // the OpenAPI document, built once from routes; never modified

	started time.Time // when New ran: the hub's start, for GET /status

	policyMu sync.Mutex // serialises read-modify-write of the stored policy
	// usersMu serialises changes to users, so that "another enabled owner remains" holds
	// when the change is written (two owners demoting each other left none).
	usersMu sync.Mutex
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

func methodNotAllowed(methods []string) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow))
	})
}

// handler is one endpoint's code. It writes a response, or returns an error that becomes one.
type handler func(w http.ResponseWriter, r *http.Request, c *Caller) error

// route is one endpoint: the table behind both the mux and the OpenAPI document.
type route struct {
	Method, Path string
	// Perm is the permission the endpoint needs; "" means any signed-in user (the handler
	// then decides by ownership). Public routes need no credentials at all.
	Perm    string
	Public  bool
	Tag     string
	Summary string
	Query   []param // query parameters
	Body    any     // request body type, for the document
	Result  any     // response body type (201/200), for the document
	Status  int     // success status; 200 if zero
	Stream  string  // a streaming content type instead of JSON
	// ReadOnly marks a POST that changes nothing (a dry run), so it needs no audit room.
	ReadOnly bool
	handle   handler
}

type param struct{ Name, Desc string }

func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c *Caller
		if !rt.Public {
			var err *Error
			if c, err = a.authenticate(r); err != nil {
				writeError(w, err)
				return
			}
			if err := a.overRate(w, c); err != nil {
				writeError(w, err)
				return
			}
			if rt.Perm != "" && !c.Can(rt.Perm) {
				writeError(w, forbidden(rt.Perm))
				return
			}
			if rt.Method != http.MethodGet && !rt.ReadOnly {
				if err := a.admit(); err != nil {
					writeError(w, err.(*Error))
					return
				}
			}
		}
		if err := rt.handle(w, r, c); err != nil {
			e, internal := asError(err)
			if internal {
				a.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, e)
		}
	})
}

// RouteInfo describes one endpoint: its method, path under Prefix, and the permission it
// needs ("" when any signed-in user may call it and the handler decides by ownership).
type RouteInfo struct {
	Method, Path, Perm string
	Public             bool
}

// Routes lists every endpoint, in registration order.
func (a *API) Routes() []RouteInfo {
	out := make([]RouteInfo, len(a.routes))
	for i, rt := range a.routes {
		out[i] = RouteInfo{Method: rt.Method, Path: rt.Path, Perm: rt.Perm, Public: rt.Public}
	}
	return out
}

// overRate takes one request of the caller's rate; over it, the answer is 429 with
// Retry-After (whole seconds) and the code rate_limited.
func (a *API) overRate(w http.ResponseWriter, c *Caller) *Error {
	if a.d.Rate == nil {
		return nil
	}
	key := c.KeyID
	if key == "" {
		key = "user:" + c.UserID // a token: the same name the /mcp side gives it
	}
	ref := a.d.Rate.Allow(ratelimit.Subject{Key: key, Application: c.Application})
	if ref == nil {
		return nil
	}
	w.Header().Set("Retry-After", strconv.Itoa(ref.Seconds()))
	return errorf(http.StatusTooManyRequests, CodeRateLimited, "%s", ref.Error())
}
