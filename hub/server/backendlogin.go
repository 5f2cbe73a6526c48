package server

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/masterkey"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
)

// oauthSettingPrefix names a hub-local backend's sealed OAuth credentials in the settings
// table.
const oauthSettingPrefix = "oauth.backend."

// oauthTokens keeps hub-local backends' OAuth credentials in the store's settings, sealed
// with the master key (bound to the backend's name), so every hub of a cluster reads them.
type oauthTokens struct {
	st  store.Settings
	key *masterkey.Key // nil: nothing can be saved
}

func (t oauthTokens) Load(ctx context.Context, name string) (*oauth.Credentials, error) {
	v, err := t.st.GetSetting(ctx, oauthSettingPrefix+name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && v == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if t.key == nil {
		return nil, fmt.Errorf("OAuth credentials of backend %q: %w", name, masterkey.ErrNoKey)
	}
	return oauth.Open(t.key, name, v)
}

func (t oauthTokens) Save(ctx context.Context, name string, c *oauth.Credentials) error {
	if c == nil {
		return t.st.PutSetting(ctx, oauthSettingPrefix+name, "")
	}
	if t.key == nil {
		return fmt.Errorf("save the OAuth credentials of backend %q: %w (set %s)", name, masterkey.ErrNoKey, masterkey.EnvVar)
	}
	sealed, err := oauth.Seal(t.key, name, c)
	if err != nil {
		return err
	}
	return t.st.PutSetting(ctx, oauthSettingPrefix+name, sealed)
}

// backendLogins runs the OAuth logins of hub-local backends for the REST API: one flow per
// backend at a time, a new start replacing the one before.
type backendLogins struct {
	set    *backend.Set
	tokens oauth.Store
	mu     sync.Mutex
	flows  map[string]*oauth.Flow
}

var _ api.BackendLogins = (*backendLogins)(nil)

func (l *backendLogins) StartLogin(ctx context.Context, name, redirectURI string) (string, error) {
	b, ok := l.set.Get(name)
	if !ok {
		return "", fmt.Errorf("backend %q: %w", name, backend.ErrUnknownBackend)
	}
	cfg := b.Config()
	if cfg.Transport != backend.TransportHTTP && cfg.Transport != backend.TransportSSE {
		return "", fmt.Errorf("%w: transport %s", api.ErrNotOAuth, cfg.Transport)
	}
	fc := cfg.OAuthFlow()
	fc.RedirectURL, fc.ClientName = redirectURI, "mcp-gateway-hub"
	f, u, err := oauth.Start(ctx, fc)
	if err != nil {
		return "", err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.flows[name]; old != nil {
		old.Cancel()
	}
	if l.flows == nil {
		l.flows = map[string]*oauth.Flow{}
	}
	l.flows[name] = f
	return u, nil
}

func (l *backendLogins) FinishLogin(ctx context.Context, name string, r oauth.CallbackResult) error {
	l.mu.Lock()
	f := l.flows[name]
	delete(l.flows, name)
	l.mu.Unlock()
	if f == nil {
		return fmt.Errorf("%w (start it again: mcp-gateway-hub backends login %s)", api.ErrNoLogin, name)
	}
	creds, err := f.Finish(ctx, r)
	if err != nil {
		return err
	}
	if err := l.tokens.Save(ctx, name, creds); err != nil {
		return err
	}
	if b, ok := l.set.Get(name); ok {
		b.Wake()
	}
	return nil
}
