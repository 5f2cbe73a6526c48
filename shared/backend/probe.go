package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Probe is a one-shot client: it connects to one streamable HTTP server exactly as a backend
// of the hub or the agent does, logs in on the spot when the server asks (following the
// authorization server's redirects to the loopback callback instead of opening a browser),
// and calls the named tools. The hidden `conformance-client` commands of both binaries run
// it for the conformance suite's client scenarios.
type Probe struct {
	URL        string
	ClientName string // clientInfo name: mcp-gateway-hub or mcp-gateway-agent
	// Tools are called in order, with empty arguments, once the backend is ready.
	Tools []string
	// OAuth client settings, as in Config.
	ClientID, ClientSecret, ClientMetadataURL string
	Logger                                    *slog.Logger
	Timeout                                   time.Duration // whole run; default 60 s
}

// Run runs the probe. It fails when the backend does not get ready or a tool call fails.
func (p Probe) Run(ctx context.Context) error {
	if p.Timeout <= 0 {
		p.Timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	cfg := Config{Name: "probe", Transport: TransportHTTP, URL: p.URL, OAuthClientID: p.ClientID,
		OAuthClientSecret: p.ClientSecret, OAuthClientMetadataURL: p.ClientMetadataURL}
	if err := cfg.Validate(); err != nil {
		return err
	}
	store := &oauth.MemoryStore{}
	changed := make(chan protocol.Backend, 64)
	b := New(cfg, Options{
		Logger: p.Logger, ClientName: p.ClientName, OAuth: store,
		OnChange: func(s protocol.Backend) {
			select {
			case changed <- s:
			default:
			}
		},
		Authorize: func(cfg Config) oauth.Authorizer { return loginOnTheSpot(cfg, store) },
		// The login runs inside the first request (server/discover): give it room on a busy
		// machine instead of abandoning it after the probe's usual 10 s.
		DiscoverTimeout: p.Timeout,
	})
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }() //nolint:errcheck // returns nil when ctx ends
	defer func() { cancel(); <-done }()
	for snap := b.Snapshot(); snap.State != protocol.StateReady; {
		switch snap.State {
		case protocol.StateNeedsLogin:
			return fmt.Errorf("%s: %s", p.URL, snap.Error)
		case protocol.StateFailed:
			return fmt.Errorf("%s: %s", p.URL, snap.Error)
		}
		select {
		case snap = <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%s: not ready within %s (%s: %s)", p.URL, p.Timeout, b.Snapshot().State, b.Snapshot().Error)
		}
	}
	for i, name := range p.Tools {
		params, _ := json.Marshal(map[string]any{"name": name, "arguments": map[string]any{}})
		id, _ := jsonrpc.MakeID(float64(i + 1))
		resp, err := b.Call(ctx, &Call{Request: &jsonrpc.Request{ID: id, Method: "tools/call", Params: params}})
		if err != nil {
			return fmt.Errorf("call %s: %w", name, err)
		}
		if resp.Error != nil {
			return fmt.Errorf("call %s: %w", name, resp.Error)
		}
	}
	return nil
}

// loginOnTheSpot logs in to the server that refused req, following the authorization
// server's redirects with an HTTP client, and stores what it got.
func loginOnTheSpot(cfg Config, store oauth.Store) oauth.Authorizer {
	var mu sync.Mutex // one login at a time; a request refused meanwhile uses its result
	return func(ctx context.Context, req *http.Request, resp *http.Response) error {
		before, _ := store.Load(ctx, cfg.Name)
		mu.Lock()
		defer mu.Unlock()
		if now, _ := store.Load(ctx, cfg.Name); now != nil && (before == nil || now.Obtained.After(before.Obtained)) {
			resp.Body.Close()
			return nil
		}
		// A login outlives the request that needed it (its deadline, or its cancellation).
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), oauth.FlowTimeout)
		defer cancel()
		cb, err := oauth.ListenCallback()
		if err != nil {
			resp.Body.Close()
			return err
		}
		defer cb.Close()
		fc := cfg.OAuthFlow()
		fc.RedirectURL = cb.URL
		f, authURL, err := oauth.StartFrom(fc, req, resp)
		if err != nil {
			return err
		}
		if err := oauth.FollowRedirects(http.DefaultClient)(ctx, authURL); err != nil {
			f.Cancel()
			return err
		}
		res, err := cb.Wait(ctx)
		if err != nil {
			f.Cancel()
			return err
		}
		creds, err := f.Finish(ctx, res)
		if err != nil {
			return err
		}
		return store.Save(ctx, cfg.Name, creds)
	}
}

// ConformanceProbe is the probe of the conformance suite's auth scenarios: it calls
// test-tool, with the client the scenario's context names (pre-registration).
func ConformanceProbe(url, cimd, scenarioContext string) (Probe, error) {
	p := Probe{URL: url, Tools: []string{"test-tool"}, ClientMetadataURL: cimd}
	if scenarioContext != "" {
		var c struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := json.Unmarshal([]byte(scenarioContext), &c); err != nil {
			return p, fmt.Errorf("MCP_CONFORMANCE_CONTEXT: %w", err)
		}
		p.ClientID, p.ClientSecret = c.ClientID, c.ClientSecret
	}
	return p, nil
}
