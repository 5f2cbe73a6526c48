package gateway

import (
	"context"
	"net/http"
	"strconv"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// Surfaces: what a client sees of the catalog (docs/DISCOVERY.md). The full surface lists
// every tool the caller may call; the discovery surface lists three tools that search,
// describe and call them.
const (
	SurfaceFull      = "full"
	SurfaceDiscovery = "discovery"
)

// ValidSurface reports whether s names a surface ("" is not one).
func ValidSurface(s string) bool { return s == SurfaceFull || s == SurfaceDiscovery }

// Endpoint is one client-facing MCP endpoint: /mcp, and the endpoints of tool groups.
type Endpoint struct {
	// Surface is the endpoint's own surface, for callers whose URL, key and application
	// choose none; "" means Config.Surface.
	Surface string
}

// surfaceParam is the query parameter with which an endpoint's URL chooses its surface.
const surfaceParam = "surface"

type surfaceKey struct{}

// discoveryFrom reports whether guard chose the discovery surface for the request.
func discoveryFrom(ctx context.Context) bool {
	d, _ := ctx.Value(surfaceKey{}).(bool)
	return d
}

// surfaceOf chooses the request's surface, most specific first: the URL's ?surface=, the
// key's own, the key's application's (Config.SurfaceByApplication), the endpoint's, the
// hub's (Config.Surface). It returns what is wrong with a bad ?surface= instead.
func (g *Gateway) surfaceOf(ep Endpoint, id auth.Identity, r *http.Request) (string, string) {
	if r.URL.RawQuery != "" {
		if v := r.URL.Query()[surfaceParam]; len(v) > 0 {
			if len(v) > 1 || !ValidSurface(v[0]) {
				return "", "invalid " + surfaceParam + " " + strconv.Quote(v[len(v)-1]) + " in the URL: want " +
					strconv.Quote(SurfaceFull) + " or " + strconv.Quote(SurfaceDiscovery) + ", once"
			}
			return v[0], ""
		}
	}
	if id.Surface != "" {
		return id.Surface, ""
	}
	if s := g.cfg.SurfaceByApplication[id.Application]; id.Application != "" && s != "" {
		return s, ""
	}
	if ep.Surface != "" {
		return ep.Surface, ""
	}
	if g.cfg.Surface != "" {
		return g.cfg.Surface, ""
	}
	return SurfaceFull, ""
}

// Handler serves an MCP endpoint (POST, GET and DELETE, both eras) with ep's settings: Mount
// registers it at /mcp; tool groups mount it at their own paths.
func (g *Gateway) Handler(ep Endpoint) http.Handler {
	return g.guard(ep, http.HandlerFunc(g.serveMCP))
}
