package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
)

// oauthStore is the agent's sealed token file beside cfgPath, with its own key file (0600).
func oauthStore(cfgPath string) (*oauth.FileStore, error) {
	tokens, key, err := config.OAuthPaths(cfgPath)
	if err != nil {
		return nil, err
	}
	k, err := oauth.LoadKeyFile(key)
	if err != nil {
		return nil, err
	}
	return oauth.NewFileStore(tokens, k), nil
}

// backendsLogin runs the OAuth login of one backend and stores its tokens, sealed, where the
// running agent finds them (it looks every few seconds while the backend needs a login).
func backendsLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backends login", stderr)
	path := configPathFlag(fs)
	noBrowser := fs.Bool("no-browser", false, "only print the URL")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: backends login: %w", ErrUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: backends login: want one backend name", ErrUsage)
	}
	p, err := config.ResolvePath(*path)
	if err != nil {
		return err
	}
	cfg, err := config.ReadFile(p)
	if err != nil {
		return err
	}
	var b *backend.Config
	for i := range cfg.Backends {
		if cfg.Backends[i].Name == fs.Arg(0) {
			b = &cfg.Backends[i]
		}
	}
	if b == nil {
		return fmt.Errorf("backends login: no backend %q in %s", fs.Arg(0), p)
	}
	if b.Transport != backend.TransportHTTP && b.Transport != backend.TransportSSE {
		return fmt.Errorf("backends login: backend %q uses transport %s; OAuth is for http and sse backends", b.Name, b.Transport)
	}
	store, err := oauthStore(p)
	if err != nil {
		return err
	}
	fc := b.OAuthFlow()
	fc.ClientName = "mcp-gateway-agent"
	creds, err := oauth.Login(ctx, fc, func(_ context.Context, u string) error {
		fmt.Fprintf(stdout, "Open this URL in a browser to authorize %s:\n\n  %s\n\nWaiting for the browser to come back…\n", b.Name, u)
		if !*noBrowser {
			_ = oauth.OpenBrowser(u) // the URL is printed: opening it by hand works as well
		}
		return nil
	})
	if errors.Is(err, oauth.ErrNoLoginNeeded) {
		fmt.Fprintf(stdout, "%s does not ask for authorization; nothing to do.\n", b.URL)
		return nil
	}
	if err != nil {
		return err
	}
	if err := store.Save(ctx, b.Name, creds); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Logged in to %s. A running agent connects within a few seconds.\n", b.Name)
	return nil
}

// conformanceClient is the hidden `conformance-client [--client-metadata-url U] URL`: the
// agent's backend client as the conformance suite's client scenarios drive it (it reads
// MCP_CONFORMANCE_SCENARIO and MCP_CONFORMANCE_CONTEXT).
func conformanceClient(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("conformance-client", stderr)
	cimd := fs.String("client-metadata-url", "", "Client ID Metadata Document URL")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return fmt.Errorf("%w: conformance-client [--client-metadata-url U] URL", ErrUsage)
	}
	p, err := backend.ConformanceProbe(fs.Arg(0), *cimd, os.Getenv("MCP_CONFORMANCE_CONTEXT"))
	if err != nil {
		return err
	}
	p.ClientName = "mcp-gateway-agent"
	p.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return p.Run(ctx)
}
