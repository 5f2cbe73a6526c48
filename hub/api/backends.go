package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// Backend sources.
const (
	SourceConfig = "hub.toml" // declared in the hub's configuration: read-only here
	SourceAPI    = "api"      // created through this API
	SourceAgent  = "agent"    // published by a connected agent
)

// Backend is one backend the hub routes to, with its health.
type Backend struct {
	Agent     string `json:"agent,omitempty"` // empty for hub-local backends
	Name      string `json:"name"`
	Source    string `json:"source"`
	Transport string `json:"transport,omitempty"`
	Naming    string `json:"naming,omitempty"`
	State     string `json:"state"`
	Error     string `json:"error,omitempty"`
	// Restarts counts the sessions of the backend that failed and were restarted since its
	// supervisor (on the hub, or on the agent) started; LastRestart and LastError are when
	// the last one failed and why (kept after it is ready again). Zero and absent from an
	// agent too old to report them.
	Restarts    int        `json:"restarts"`
	LastRestart *time.Time `json:"last_restart,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	Tools       int        `json:"tools"`
	Resources   int        `json:"resources"`
	Prompts     int        `json:"prompts"`
	// Calls is the state of the backend's call bounds (docs/LIMITS.md); absent until a call
	// reached it.
	Calls *BackendCalls `json:"calls,omitempty"`
	// Config is the configuration of a backend created through the API, with the values of
	// env and headers replaced by "***" and secrets in the URL and arguments redacted.
	Config *BackendConfig `json:"config,omitempty"`
}

// BackendCalls is a backend's circuit breaker and load, as the hub's upstream sees them.
type BackendCalls struct {
	Breaker     string `json:"breaker"`               // closed | open | half-open
	RetryAfter  int    `json:"retryAfter,omitempty"`  // while open: seconds until a probe call is let through
	Failures    int    `json:"failures"`              // consecutive failures (timeouts, transport, backend gone)
	LastFailure string `json:"lastFailure,omitempty"` // the last of them
	InFlight    int    `json:"inFlight"`              // calls running now
	Queued      int    `json:"queued"`                // calls waiting for a slot
	// Counts since the hub started.
	TimedOut     uint64 `json:"timedOut"`
	RejectedBusy uint64 `json:"rejectedBusy"`
	RejectedOpen uint64 `json:"rejectedOpen"`
	Opened       uint64 `json:"opened"` // times the breaker opened
	// Calls failed alone by the backend's answer: over max_message_bytes, or not JSON-RPC.
	TooLarge  uint64 `json:"tooLarge"`
	Malformed uint64 `json:"malformed"`
}

func (a *API) backendCalls(agent, name string) *BackendCalls {
	if a.d.Bounds == nil {
		return nil
	}
	st, ok := a.d.Bounds.Status(agent, name)
	if !ok {
		return nil
	}
	return &BackendCalls{Breaker: st.Breaker, RetryAfter: int(math.Ceil(st.RetryAfter.Seconds())), Failures: st.Failures,
		LastFailure: secrets.Text(st.LastFailure), InFlight: st.InFlight, Queued: st.Queued, TimedOut: st.TimedOut,
		RejectedBusy: st.RejectedBusy, RejectedOpen: st.RejectedOpen, Opened: st.Opened,
		TooLarge: st.TooLarge, Malformed: st.Malformed}
}

// BackendConfig is a hub-local backend's configuration (the fields of a [[backends]] entry
// in hub.toml). The name comes from the path.
type BackendConfig struct {
	Name      string            `json:"name,omitempty"`
	Transport string            `json:"transport"`
	Command   string            `json:"command,omitempty"`
	Args      []string          `json:"args,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	Cwd       string            `json:"cwd,omitempty"`
	URL       string            `json:"url,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	Naming    string            `json:"naming,omitempty"`
	Session   string            `json:"session,omitempty"`
	Era       string            `json:"era,omitempty"`
	// MaxMessageBytes bounds one message from a stdio server; 0 means 16 MiB.
	MaxMessageBytes int `json:"max_message_bytes,omitempty"`
	// StartupTimeout bounds a start (spawn or connect, initialize, first lists), a duration
	// like "2m"; empty: 60s.
	StartupTimeout string `json:"startup_timeout,omitempty"`
	// Call bounds (docs/LIMITS.md); empty or 0: the hub's [calls] defaults.
	Timeout       string `json:"timeout,omitempty"` // a duration like "30s"
	MaxConcurrent int    `json:"max_concurrent,omitempty"`
	MaxQueue      int    `json:"max_queue,omitempty"`
	// Hubs names the hubs of a cluster that run the backend (their [cluster] id); empty:
	// every hub. Only on a hub with [cluster] (docs/SCALING.md).
	Hubs []string `json:"hubs,omitempty"`
	// OAuth client of an http or sse server that requires authorization (docs/OAUTH-BACKENDS.md).
	OAuthClientID          string   `json:"oauth_client_id,omitempty"`
	OAuthClientSecret      string   `json:"oauth_client_secret,omitempty"`
	OAuthClientMetadataURL string   `json:"oauth_client_metadata_url,omitempty"`
	OAuthScopes            []string `json:"oauth_scopes,omitempty"`
}

// StateElsewhere is the state of an API backend that runs on other hubs of the cluster
// only (its hubs do not name this one).
const StateElsewhere = "elsewhere"

// RunsOn reports whether a stored backend runs on the hub hubID: every hub when its hubs
// are empty, and on a hub outside a cluster (hubID "") always.
func RunsOn(rec store.BackendRecord, hubID string) bool {
	c, err := parseBackend(rec)
	return err != nil || c.runsOn(hubID)
}

func (c BackendConfig) runsOn(hubID string) bool {
	return hubID == "" || len(c.Hubs) == 0 || slices.Contains(c.Hubs, hubID)
}

// maxHubIDLen bounds a hub id in hubs.
const maxHubIDLen = 200

// checkHubs validates hubs: hub ids, none twice, and only on a hub that is in a cluster.
func (a *API) checkHubs(c BackendConfig) error {
	if len(c.Hubs) == 0 {
		return nil
	}
	if a.d.HubID == "" {
		return invalid("backend %q: hubs names hubs of a cluster, and this hub has no [cluster]; leave hubs out (a single hub runs every backend)", c.Name)
	}
	seen := map[string]bool{}
	for _, h := range c.Hubs {
		switch {
		case h == "" || strings.TrimSpace(h) != h || len(h) > maxHubIDLen || strings.ContainsFunc(h, func(r rune) bool { return r < ' ' }):
			return invalid("backend %q: hubs entry %q is not a hub id ([cluster] id: 1 to %d characters, no surrounding spaces or control characters)", c.Name, h, maxHubIDLen)
		case seen[h]:
			return invalid("backend %q: hubs names %q twice", c.Name, h)
		}
		seen[h] = true
	}
	return nil
}

// StoredBackend reads a backend created through the API back from its store record.
func StoredBackend(rec store.BackendRecord) (backend.Config, error) {
	c, err := parseBackend(rec)
	return c.config(), err
}

// config converts to the backend's configuration; a timeout that does not parse (only in a
// body not yet checked by backendBody) is left out.
func (c BackendConfig) config() backend.Config {
	timeout, _ := time.ParseDuration(c.Timeout)
	startup, _ := time.ParseDuration(c.StartupTimeout)
	return backend.Config{StartupTimeout: startup, Name: c.Name, Transport: c.Transport, Command: c.Command, Args: c.Args, Env: c.Env,
		Cwd: c.Cwd, URL: c.URL, Headers: c.Headers, Naming: c.Naming, Session: c.Session, Era: c.Era,
		MaxMessageBytes: c.MaxMessageBytes, Timeout: timeout, MaxConcurrent: c.MaxConcurrent, MaxQueue: c.MaxQueue,
		OAuthClientID: c.OAuthClientID, OAuthClientSecret: c.OAuthClientSecret, OAuthClientMetadataURL: c.OAuthClientMetadataURL,
		OAuthScopes: c.OAuthScopes}
}

func (c BackendConfig) redacted() *BackendConfig {
	hide := func(m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		out := make(map[string]string, len(m))
		for k := range m {
			out[k] = "***"
		}
		return out
	}
	c.Env, c.Headers = hide(c.Env), hide(c.Headers)
	if c.OAuthClientSecret != "" {
		c.OAuthClientSecret = "***"
	}
	c.URL = secrets.Text(c.URL)
	c.Args = redactArgs(c.Args)
	return &c
}

// secrets applies hub/audit's always-on redaction to what the API shows of a backend: a
// URL's password or key parameter, secrets in arguments and in error messages.
var secrets, _ = audit.NewRedactor(nil, nil, 0)

// redactArgs redacts secrets in command-line arguments: "--token=…" and known key forms
// in any argument, and the argument after a flag that names a secret ("--password" "x").
func redactArgs(args []string) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, arg := range args {
		if i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") && secrets.SecretName(args[i-1]) {
			out[i] = audit.Redacted
			continue
		}
		out[i] = secrets.Text(arg)
	}
	return out
}

func (a *API) backendRoutes() []route {
	return []route{
		{Method: "GET", Path: "/backends", Perm: rbac.BackendsRead, Tag: "backends",
			Summary: "List every backend (hub-local and agents') with its health", Result: List[Backend]{}, handle: a.listBackends},
		{Method: "POST", Path: "/backends/{name}", Perm: rbac.BackendsWrite, Tag: "backends",
			Summary: "Create and start a hub-local backend", Body: BackendConfig{}, Result: Backend{},
			Status: http.StatusCreated, handle: a.createBackend},
		{Method: "PUT", Path: "/backends/{name}", Perm: rbac.BackendsWrite, Tag: "backends",
			Summary: "Replace an API-created backend's configuration and restart it", Body: BackendConfig{},
			Result: Backend{}, handle: a.updateBackend},
		{Method: "DELETE", Path: "/backends/{name}", Perm: rbac.BackendsWrite, Tag: "backends",
			Summary: "Stop and delete an API-created backend", Status: http.StatusNoContent, handle: a.deleteBackend},
	}
}

func (a *API) listBackends(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	recs, err := a.d.Store.ListBackends(r.Context())
	if err != nil {
		return err
	}
	stored := map[string]*BackendConfig{}
	elsewhere := map[string]bool{}
	for _, rec := range recs {
		if c, err := parseBackend(rec); err == nil {
			stored[rec.Name] = c.redacted()
			elsewhere[rec.Name] = !c.runsOn(a.d.HubID)
		}
	}
	out := List[Backend]{Items: []Backend{}}
	seen := map[string]bool{}
	if a.d.Health != nil {
		for _, b := range a.d.Health.Table().Backends() {
			v := Backend{Agent: b.Agent, Name: b.Backend, Transport: b.Transport, Naming: b.Naming, State: b.State,
				Error: secrets.Text(b.Error), Tools: b.Tools, Resources: b.Resources, Prompts: b.Prompts, Source: SourceAgent,
				Calls: a.backendCalls(b.Agent, b.Backend), Restarts: b.Restarts, LastError: secrets.Text(b.LastError)}
			if b.LastRestart > 0 {
				at := time.UnixMilli(b.LastRestart).UTC()
				v.LastRestart = &at
			}
			if b.Agent == "" {
				seen[b.Backend] = true
				v.Source, v.Config = a.localSource(b.Backend), stored[b.Backend]
			}
			out.Items = append(out.Items, v)
		}
	}
	for _, rec := range recs { // stored but not (yet) reported by the router
		if !seen[rec.Name] && !a.isConfigBackend(rec.Name) {
			state := "starting"
			if elsewhere[rec.Name] {
				state = StateElsewhere // run by the hubs it names, not this one
			}
			out.Items = append(out.Items, Backend{Name: rec.Name, Source: SourceAPI, State: state, Config: stored[rec.Name]})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) localSource(name string) string {
	if a.isConfigBackend(name) {
		return SourceConfig
	}
	return SourceAPI
}

func (a *API) isConfigBackend(name string) bool { return slices.Contains(a.d.ConfigBackends, name) }

func parseBackend(rec store.BackendRecord) (BackendConfig, error) {
	var c BackendConfig
	if err := json.Unmarshal([]byte(rec.Config), &c); err != nil {
		return c, fmt.Errorf("stored backend %q: %w", rec.Name, err)
	}
	c.Name = rec.Name
	return c, nil
}

// backendBody decodes and validates a backend configuration for the path's name.
func (a *API) backendBody(w http.ResponseWriter, r *http.Request) (BackendConfig, string, error) {
	name := r.PathValue("name")
	if a.isConfigBackend(name) {
		return BackendConfig{}, "", conflict("backend %q is declared in hub.toml; change it there", name)
	}
	var c BackendConfig
	if err := decode(w, r, &c); err != nil {
		return c, "", err
	}
	if c.Name != "" && c.Name != name {
		return c, "", invalid("name %q in the body differs from %q in the path", c.Name, name)
	}
	c.Name = name
	if _, err := time.ParseDuration(c.Timeout); c.Timeout != "" && err != nil {
		return c, "", invalid("backend %q: timeout %q is not a duration like 30s or 2m", name, c.Timeout)
	}
	if _, err := time.ParseDuration(c.StartupTimeout); c.StartupTimeout != "" && err != nil {
		return c, "", invalid("backend %q: startup_timeout %q is not a duration like 90s or 3m", name, c.StartupTimeout)
	}
	if err := a.checkHubs(c); err != nil {
		return c, "", err
	}
	cfg := c.config()
	if err := cfg.Validate(); err != nil {
		return c, "", invalid("%s", err.Error())
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return c, "", err
	}
	return c, string(raw), nil
}

func (a *API) createBackend(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Locals == nil {
		return unavailable("hub-local backends")
	}
	cfg, raw, err := a.backendBody(w, r)
	if err != nil {
		return err
	}
	if err := mayRun(c, cfg.Transport); err != nil {
		return err
	}
	rec := &store.BackendRecord{Name: cfg.Name, Config: raw, CreatedBy: c.Actor()}
	if err := a.d.Store.CreateBackend(r.Context(), rec); errors.Is(err, store.ErrConflict) {
		return conflict("backend %q already exists", cfg.Name)
	} else if err != nil {
		return err
	}
	state := StateElsewhere
	if cfg.runsOn(a.d.HubID) {
		state = "starting"
		if err := a.d.Locals.Add(r.Context(), cfg.config()); err != nil {
			_ = a.d.Store.DeleteBackend(r.Context(), cfg.Name)
			if errors.Is(err, backend.ErrDuplicate) {
				return conflict("backend %q already exists", cfg.Name)
			}
			return err
		}
	}
	a.record(r, c, "backends.create", cfg.Name, map[string]string{"transport": cfg.Transport})
	writeJSON(w, http.StatusCreated, Backend{Name: cfg.Name, Source: SourceAPI, Transport: cfg.Transport, State: state, Config: cfg.redacted()})
	return nil
}

func (a *API) updateBackend(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Locals == nil {
		return unavailable("hub-local backends")
	}
	cfg, raw, err := a.backendBody(w, r)
	if err != nil {
		return err
	}
	if err := mayRun(c, cfg.Transport); err != nil {
		return err
	}
	if old, err := a.d.Store.GetBackend(r.Context(), cfg.Name); err == nil {
		// Replacing a stdio backend changes what runs on the hub's host, whatever comes instead.
		if prev, perr := parseBackend(*old); perr != nil || prev.Transport == backend.TransportStdio {
			if err := mayRun(c, backend.TransportStdio); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := a.d.Store.UpdateBackend(r.Context(), &store.BackendRecord{Name: cfg.Name, Config: raw}); err != nil {
		return err
	}
	if err := a.d.Locals.Remove(cfg.Name); err != nil && !errors.Is(err, backend.ErrUnknownBackend) {
		return err
	}
	state := StateElsewhere
	if cfg.runsOn(a.d.HubID) {
		state = "starting"
		if err := a.d.Locals.Add(r.Context(), cfg.config()); err != nil {
			return err
		}
	}
	a.record(r, c, "backends.update", cfg.Name, map[string]string{"transport": cfg.Transport})
	writeJSON(w, http.StatusOK, Backend{Name: cfg.Name, Source: SourceAPI, Transport: cfg.Transport, State: state, Config: cfg.redacted()})
	return nil
}

func (a *API) deleteBackend(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Locals == nil {
		return unavailable("hub-local backends")
	}
	name := r.PathValue("name")
	if a.isConfigBackend(name) {
		return conflict("backend %q is declared in hub.toml; remove it there", name)
	}
	if err := a.d.Store.DeleteBackend(r.Context(), name); err != nil {
		return err
	}
	if err := a.d.Locals.Remove(name); err != nil && !errors.Is(err, backend.ErrUnknownBackend) {
		return err
	}
	a.record(r, c, "backends.delete", name, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mayRun refuses a caller without rbac.BackendsExec a backend that runs a command on the
// hub's host: whatever that command does, it does as the hub (reads its database and its
// secrets), so backends.write alone reaches only http and sse backends.
func mayRun(c *Caller, transport string) error {
	if transport == backend.TransportStdio && !c.Can(rbac.BackendsExec) {
		e := forbidden(rbac.BackendsExec)
		e.Message = fmt.Sprintf("permission %q is required for a stdio backend: it runs a command on the hub's host", rbac.BackendsExec)
		return e
	}
	return nil
}

func unavailable(what string) *Error {
	return errorf(http.StatusServiceUnavailable, CodeUnavailable, "%s are not available in this hub", what)
}
