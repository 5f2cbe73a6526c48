package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/oauth"
)

// backendLogin is `backends login NAME`: the hub runs discovery, registration and the code
// exchange; this process listens on the loopback callback and opens the browser.
func backendLogin(ctx context.Context, c *cmd, name string, noBrowser bool) error {
	if err := c.r.needKey(); err != nil {
		return err
	}
	cb, err := oauth.ListenCallback()
	if err != nil {
		return err
	}
	defer cb.Close()
	path := "/backends/" + pathEscape(name) + "/login"
	raw, err := c.r.do(ctx, "POST", path, api.LoginStart{RedirectURI: cb.URL})
	if err != nil {
		return err
	}
	var started api.LoginStarted
	if err := json.Unmarshal(raw, &started); err != nil || started.AuthorizationURL == "" {
		return fmt.Errorf("backends login: the hub's answer has no authorization_url")
	}
	fmt.Fprintf(c.env.Stdout, "Open this URL in a browser to authorize %s:\n\n  %s\n\nWaiting for the browser to come back…\n",
		name, started.AuthorizationURL)
	if !noBrowser {
		_ = oauth.OpenBrowser(started.AuthorizationURL) // printed above: opening it by hand works as well
	}
	ctx, cancel := context.WithTimeout(ctx, oauth.FlowTimeout)
	defer cancel()
	res, err := cb.Wait(ctx)
	if err != nil {
		return err
	}
	if _, err := c.r.do(ctx, "POST", path+"/callback", res); err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "Logged in to %s; the hub connects to it now.\n", name)
	return nil
}

// conformanceClient is the hidden `conformance-client [--client-metadata-url U] URL`: the
// hub's backend client as the conformance suite's client scenarios drive it (it reads
// MCP_CONFORMANCE_CONTEXT).
func conformanceClient(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("conformance-client", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cimd := fs.String("client-metadata-url", "", "Client ID Metadata Document URL")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return fmt.Errorf("conformance-client [--client-metadata-url U] URL: %w", ErrUsage)
	}
	p, err := backend.ConformanceProbe(fs.Arg(0), *cimd, os.Getenv("MCP_CONFORMANCE_CONTEXT"))
	if err != nil {
		return err
	}
	p.ClientName = "mcp-gateway-hub"
	p.Logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return p.Run(ctx)
}
