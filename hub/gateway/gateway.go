// Package gateway serves the client-facing MCP endpoint: Streamable HTTP at /mcp and the
// deprecated HTTP+SSE transport at /sse. Each request goes auth → route → upstream, and the
// reply streams back as JSON or SSE; results pass through as raw JSON.
package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/discovery"
	"github.com/mcp-gateway/mcp-gateway/hub/policy"
	"github.com/mcp-gateway/mcp-gateway/hub/ratelimit"
	"github.com/mcp-gateway/mcp-gateway/hub/router"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
)

// Upstream runs one request against the backend a route points at: a hub-local backend or
// one behind an agent's tunnel.
type Upstream interface {
	Call(ctx context.Context, t router.Target, c *backend.Call) (*jsonrpc.Response, error)
}

// Keys resolves an API key to an identity. *auth.Cache implements it.
type Keys interface {
	Lookup(plaintext string) (auth.Identity, bool)
}

// Tokens verifies the OAuth access tokens of the hub's authorization server (*oauth.Server).
type Tokens interface {
	// IsAccessToken reports whether a bearer credential is one of its access tokens.
	IsAccessToken(token string) bool
	// Verify returns the identity a token carries for the request's resource.
	Verify(r *http.Request, token string) (auth.Identity, error)
	// ResourceMetadata is the URL of /mcp's protected-resource metadata for the request.
	ResourceMetadata(r *http.Request) string
	// Scope is the scope a client asks for to call /mcp.
	Scope() string
}

// RateLimiter takes one request from a caller's rate. *ratelimit.Limiter implements it.
type RateLimiter interface {
	Allow(s ratelimit.Subject) *ratelimit.Refusal
}

// Tables gives the current routing table. *router.Router implements it.
type Tables interface {
	Table() *router.Table
}

// Config holds the gateway's settings. The zero value of each field means its default.
type Config struct {
	// MaxBodyBytes bounds a request body; larger bodies get 413. Default 16 MiB.
	MaxBodyBytes int64
	// PageSize is the number of items per list page. Default 500.
	PageSize int
	// AnonymousRole, if set, lets requests without a key act as this role. The hub refuses
	// to set it unless it listens on loopback.
	AnonymousRole string
	// AllowedOrigins lists browser origins (scheme://host[:port]) allowed besides loopback ones.
	AllowedOrigins []string
	// AllowedHosts, if set, lists the Host header values accepted (DNS-rebinding protection).
	// Empty means any host when listening on a public address; the hub fills it in for loopback.
	AllowedHosts []string
	// SessionIdle ends sessions idle for this long with no open stream. Default 1 h.
	SessionIdle time.Duration
	// SessionIdleUnused ends sooner the sessions that made no request after initialize and
	// never opened a stream: what a flood of initializes leaves. Default 5 min.
	SessionIdleUnused time.Duration
	// MaxSessionsPerKey caps the open sessions of one key (limitKey); 0: no cap.
	MaxSessionsPerKey int
	// MaxListensPerKey caps the open subscriptions/listen streams of one key; 0: no cap.
	MaxListensPerKey int
	// Tokens, if set, verifies OAuth access tokens beside API keys, and a 401 names the
	// protected-resource metadata (docs/OAUTH.md); nil: API keys only.
	Tokens Tokens
	// Rate limits the JSON-RPC requests of each key and application; nil: no limit.
	Rate RateLimiter
	// KeepAlive is the interval of SSE keep-alive comments. Default 25 s.
	KeepAlive time.Duration
	// ServerName and ServerVersion are announced in initialize.
	ServerName, ServerVersion string
	// Instructions are announced to clients in initialize, when set.
	Instructions string
	// InputTimeout is how long a stateless client's call that got an input_required result
	// waits for the client's retry before the backend call is cancelled. Default 60 s.
	InputTimeout time.Duration
	// MaxWaitingInputs bounds the calls waiting for a retry at once. Default 1024.
	MaxWaitingInputs int
	// InputGather is how long the input_required bridge waits, after a legacy backend's
	// server→client request, for more requests of the same call, so that requests sent
	// together reach the client in one input_required result. Each new request waits
	// again, 10 times this in all. Default 200 ms.
	InputGather time.Duration
	// SessionKey, when set (32 bytes; several hubs on one database), seals each 2025
	// session's state into its id so that any hub with the same key continues it
	// (sealed.go). Nil: random ids, sessions live on the hub that created them.
	SessionKey []byte
	// Surface is the surface of endpoints that set none, for callers whose URL, key and
	// application choose none: SurfaceFull (default) or SurfaceDiscovery.
	Surface string
	// SurfaceByApplication maps an application (a key's) to its surface.
	SurfaceByApplication map[string]string
	// Tracer records each request's spans (docs/TRACING.md); nil: tracing is off.
	Tracer *tracing.Tracer
}

func (c *Config) defaults() {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 16 << 20
	}
	if c.PageSize <= 0 {
		c.PageSize = 500
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = time.Hour
	}
	if c.SessionIdleUnused <= 0 {
		c.SessionIdleUnused = min(5*time.Minute, c.SessionIdle)
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = 25 * time.Second
	}
	if c.InputTimeout <= 0 {
		c.InputTimeout = time.Minute
	}
	if c.MaxWaitingInputs <= 0 {
		c.MaxWaitingInputs = 1024
	}
	if c.InputGather <= 0 {
		c.InputGather = 200 * time.Millisecond
	}
	if c.ServerName == "" {
		c.ServerName = "mcp-gateway"
	}
}

// Gateway is the http.Handler for /mcp, /sse and /messages.
type Gateway struct {
	cfg      Config
	keys     Keys
	tables   Tables
	upstream Upstream
	log      *slog.Logger
	sessions *sessions
	inputs   *inputs       // stateless calls waiting for the client's input
	subs     *listeners    // subscriptions/listen streams
	upsubs   *upstreamSubs // resource subscriptions held at backends for the clients

	// bg runs what the gateway sends backends on its own behalf (renewed and released
	// subscriptions); bgCtx ends at shutdown, and Run waits for bg.
	bg     sync.WaitGroup
	bgCtx  context.Context
	bgStop context.CancelFunc
	params paramCache      // tools' Mcp-Param-* annotations, per routing table
	gov    Governance      // tool registry, RBAC, audit: see SetGovernance
	cats   discovery.Cache // the discovery surface's search index, per governance index
	policy atomic.Pointer[policy.Policy]
	counts limitCounters // refusals and expiries at the session and listen caps

	// serverInfo is the hub's Implementation (name, version) as JSON, for the _meta of
	// stateless results; listPrefix opens a list the hub built for a stateless client.
	serverInfo json.RawMessage
	listPrefix []byte
	// completePrefix opens a complete result that had neither _meta nor resultType: the
	// members completeResult adds, in the order it adds them.
	completePrefix []byte

	sealer *sessionSealer // nil unless Config.SessionKey is set
	groups groupSet       // tool groups served at /mcp/<name> (groups.go)

	goneMu sync.Mutex
	gone   map[string]bool // agent ids seen once and now disconnected, to name them in errors
}

// New returns a gateway. Call Run to expire idle sessions.
func New(cfg Config, keys Keys, tables Tables, up Upstream, log *slog.Logger) *Gateway {
	cfg.defaults()
	g := &Gateway{
		cfg: cfg, keys: keys, tables: tables, upstream: up, log: log,
		sessions: newSessions(cfg.MaxSessionsPerKey), gone: map[string]bool{},
		inputs: &inputs{calls: map[string]*bridgedCall{}, max: cfg.MaxWaitingInputs, timeout: cfg.InputTimeout},
		subs:   newListeners(cfg.MaxListensPerKey), upsubs: newUpstreamSubs(),
	}
	g.serverInfo, _ = json.Marshal(map[string]string{"name": cfg.ServerName, "version": cfg.ServerVersion})
	g.listPrefix = []byte(`{"_meta":{"` + mcp.MetaServerInfo + `":` + string(g.serverInfo) +
		`},"resultType":"complete","ttlMs":` + strconv.Itoa(listTTLMs) + `,"cacheScope":"private",`)
	g.completePrefix = []byte(`{"_meta":{"` + mcp.MetaServerInfo + `":` + string(g.serverInfo) + `},"resultType":"complete"`)
	g.bgCtx, g.bgStop = context.WithCancel(context.Background())
	g.sessions.onRemove = func(s *session) { g.releaseAll(sessionHolder(s)) }
	g.SetGovernance(Governance{})
	if cfg.SessionKey != nil {
		z, err := newSessionSealer(cfg.SessionKey)
		if err != nil {
			log.Error("sessions stay on the hub that created them", "err", err)
		}
		g.sealer = z
	}
	return g
}

// Run expires idle sessions until ctx is done, then closes every session, cancels the
// calls waiting for a client's input and ends the subscription streams.
func (g *Gateway) Run(ctx context.Context) error {
	t := time.NewTicker(expireEvery(g.cfg.SessionIdleUnused))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			g.bgStop() // nothing to renew or release upstream any more
			g.sessions.closeAll()
			g.inputs.closeAll()
			g.subs.closeAll()
			g.bg.Wait()
			return nil
		case now := <-t.C:
			idle, unused := g.sessions.expire(now.Add(-g.cfg.SessionIdle), now.Add(-g.cfg.SessionIdleUnused))
			g.counts.expiredIdle.Add(int64(idle))
			g.counts.expiredUnused.Add(int64(unused))
		}
	}
}

// AgentGone records that an agent disconnected, so calls to its tools name it; AgentBack
// forgets it again.
func (g *Gateway) AgentGone(id string) {
	g.goneMu.Lock()
	g.gone[id] = true
	g.goneMu.Unlock()
}

// AgentBack forgets that an agent was gone.
func (g *Gateway) AgentBack(id string) {
	g.goneMu.Lock()
	delete(g.gone, id)
	g.goneMu.Unlock()
}

func (g *Gateway) agentGone(id string) bool {
	g.goneMu.Lock()
	defer g.goneMu.Unlock()
	return g.gone[id]
}

// Sessions is the number of open client sessions.
func (g *Gateway) Sessions() int { return g.sessions.count() }

// Mount registers the gateway's routes on mux.
func (g *Gateway) Mount(mux *http.ServeMux) {
	mux.Handle("/mcp", g.guard(Endpoint{}, http.HandlerFunc(g.serveRoot)))
	mux.Handle("/mcp/{group}", g.guard(Endpoint{}, g.inGroupEndpoint(g.serveMCP)))
	mux.Handle("GET /sse", g.guard(Endpoint{}, notGroupLimited(g.serveSSE)))
	mux.Handle("POST /messages", g.guard(Endpoint{}, notGroupLimited(g.serveMessages)))
	// A tool group's HTTP+SSE transport: /sse/<group> names /messages/<group> (groups.go).
	mux.Handle("GET /sse/{group}", g.guard(Endpoint{}, g.inGroupEndpoint(g.serveSSE)))
	mux.Handle("POST /messages/{group}", g.guard(Endpoint{}, g.inGroupEndpoint(g.serveMessages)))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	writeJSONBody(w, status, b)
}

// Listeners is the number of open subscriptions/listen streams.
func (g *Gateway) Listeners() int { return g.subs.count() }
