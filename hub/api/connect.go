package api

import (
	"net/http"
	"regexp"

	"github.com/mcp-gateway/mcp-gateway/hub/clientconf"
)

// ClientConfig is one AI client's entry for this hub: what `mcp-gateway-hub connect
// CLIENT` prints (without --key: the key stays out of it wherever the client can read the
// environment; else the entry says <MCP key>).
type ClientConfig struct {
	Client    string   `json:"client"`
	Title     string   `json:"title"`
	Format    string   `json:"format"` // json or toml
	Snippet   string   `json:"snippet"`
	EmbedsKey bool     `json:"embeds_key"` // the entry holds the key in clear (<MCP key> here)
	Hints     []string `json:"hints,omitempty"`
}

// ConnectInfo is the answer to GET /connect.
type ConnectInfo struct {
	HubURL  string         `json:"hub_url"` // public_url, else this request's scheme and host
	MCPURL  string         `json:"mcp_url"`
	KeyEnv  string         `json:"key_env"`
	Clients []ClientConfig `json:"clients"`
}

// DefaultKeyEnv is the variable the entries read the key from (as the CLI's connect).
const DefaultKeyEnv = "MCP_GATEWAY_KEY"

var (
	connectNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
)

func (a *API) connectRoutes() []route {
	return []route{{Method: "GET", Path: "/connect", Tag: "meta",
		Summary: "Each AI client's configuration entry for this hub (as mcp-gateway-hub connect prints it)",
		Query: []param{{"name", "the server's name in the client (default mcp-gateway)"},
			{"key_env", "the environment variable the entry reads the key from (default MCP_GATEWAY_KEY)"}},
		Result: ConnectInfo{}, handle: a.connect}}
}

func (a *API) connect(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	if a.d.HubURL == nil {
		return unavailable("client configuration")
	}
	name, keyEnv := r.URL.Query().Get("name"), r.URL.Query().Get("key_env")
	if name == "" {
		name = "mcp-gateway"
	}
	if keyEnv == "" {
		keyEnv = DefaultKeyEnv
	}
	if !connectNameRE.MatchString(name) {
		return invalid("name %q: a letter, then letters, digits, '-' or '_' (64 at most)", name)
	}
	if !envNameRE.MatchString(keyEnv) {
		return invalid("key_env %q is not an environment variable name", keyEnv)
	}
	hub, err := a.d.HubURL(r)
	if err != nil {
		return invalid("%s; set public_url in the hub's configuration", err.Error())
	}
	out := ConnectInfo{HubURL: hub, MCPURL: hub + "/mcp", KeyEnv: keyEnv, Clients: []ClientConfig{}}
	for _, id := range clientconf.Names() {
		c := clientconf.Clients[id]
		e, err := c.Build(clientconf.Opts{URL: out.MCPURL, Name: name, NoEnv: true}, clientconf.KeyRef{Env: keyEnv})
		if err != nil {
			return err
		}
		snip, err := e.Snippet(name)
		if err != nil {
			return err
		}
		out.Clients = append(out.Clients, ClientConfig{Client: id, Title: c.Title, Format: e.Format,
			Snippet: string(snip), EmbedsKey: e.Embeds, Hints: e.Hints})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
