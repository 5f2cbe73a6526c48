// Package config loads the hub's settings: defaults, then hub.toml, then the environment,
// then flags (applied by the caller), then Validate.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mcp-gateway/mcp-gateway/shared/backend"
	"github.com/mcp-gateway/mcp-gateway/shared/tomlkeys"
	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
)

// Config is the hub's configuration. Field comments are the documentation of hub.toml.
type Config struct {
	// Listen is the address to serve on. Default 127.0.0.1:3200 (env MCPGW_LISTEN).
	Listen string `toml:"listen"`
	// DataDir holds the SQLite database and generated secrets. Default ~/.mcp-gateway-hub
	// (env MCPGW_DATA_DIR).
	DataDir string `toml:"data_dir"`
	// DatabaseURL selects PostgreSQL (postgres://…); empty means SQLite in DataDir (env DATABASE_URL).
	DatabaseURL string `toml:"database_url"`
	// AnonymousRole lets requests without a key act as this role; refused unless Listen is a
	// loopback address (env MCPGW_ANONYMOUS_ROLE). Off by default.
	AnonymousRole string `toml:"anonymous_role"`
	// TLSCert and TLSKey serve HTTPS when both are set: TLSCert is the certificate chain's PEM
	// file.
	TLSCert string `toml:"tls_cert"`
	// TLSKey is the PEM file of tls_cert's private key.
	TLSKey string `toml:"tls_key"`
	// AllowedOrigins lists browser origins allowed besides loopback ones.
	AllowedOrigins []string `toml:"allowed_origins"`
	// AllowedHosts lists accepted Host headers (/mcp, /api/v1, /agent/ws). Empty: loopback
	// names and public_url's host when Listen is loopback (DNS-rebinding protection), any
	// host otherwise.
	AllowedHosts []string `toml:"allowed_hosts"`
	// MaxBodyBytes bounds a request body. Default 16 MiB.
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// PageSize is the number of items per list page. Default 500.
	PageSize int `toml:"page_size"`
	// PolicyFile is a policy TOML file (docs/POLICY.md) applied to every tool call and list,
	// loaded when the hub starts (env MCPGW_POLICY_FILE). Empty: no policy, every tool is
	// allowed to every caller.
	PolicyFile string `toml:"policy_file"`
	// MetricsPublic serves /metrics without a key. Default false: a scraper sends a key
	// whose role has usage.read (Prometheus: authorization.credentials).
	MetricsPublic bool `toml:"metrics_public"`
	// Backends are MCP servers the hub runs itself, in the agent's [[backends]] format.
	Backends []backend.Config `toml:"backends"`
	// Groups are tool groups, each served at /mcp/<name> (groups.go, docs/GROUPS.md). Groups
	// made through the REST API or the CLI are kept in the database; a name in both is
	// the file's.
	Groups []Group `toml:"groups"`
	// Releases is the [releases] table: agent releases offered for self-update (releases.go).
	Releases Releases `toml:"releases"`
	// Audit is the [audit] table: retention, queue, durability and redaction (audit.go).
	Audit Audit `toml:"audit"`
	// Limits is the [limits] table: connections, sessions and rates (limits.go).
	Limits Limits `toml:"limits"`
	// Calls is the [calls] table: deadline, concurrency, queue and circuit breaker of the
	// calls to each backend (calls.go).
	Calls Calls `toml:"calls"`
	// OAuth is the [oauth] table: the hub as the OAuth 2.1 authorization server of its /mcp
	// (oauth.go, docs/OAUTH.md).
	OAuth OAuth `toml:"oauth"`
	// PublicURL is the hub's address as agents and users reach it, e.g. https://mcp.example.com
	// or https://example.com/gateway (env MCPGW_PUBLIC_URL). The install scripts served at
	// /install.sh and /install.ps1 carry it. Empty: derived from each request's Host header
	// (checked against allowed_hosts) and scheme — set it behind a proxy that rewrites Host.
	PublicURL string `toml:"public_url"`
	// TrustForwardedProto takes the scheme (http or https) from the X-Forwarded-Proto header
	// when public_url is empty. Set it only behind a TLS-terminating proxy that sets the header
	// itself; off, a client cannot choose the scheme.
	TrustForwardedProto bool `toml:"trust_forwarded_proto"`
	// TrustedProxies lists the reverse proxies (IP addresses or CIDR prefixes) whose
	// X-Forwarded-For the hub believes when it counts failed logins per client address.
	// Empty: the connection's peer is the client (behind a proxy, all clients then share
	// its address). Only list proxies that overwrite or append to the header themselves.
	TrustedProxies []string `toml:"trusted_proxies"`
	// DrainTimeout is how long the hub drains on SIGTERM before it exits: /readyz answers
	// 503 "draining", new agent tunnels and new client sessions are refused, each agent is
	// told hub_closing once its calls through this hub have ended (so it reconnects to
	// another hub), and calls in flight finish. At the timeout what remains is cut.
	// Default 30s; 0 turns draining off (agents are told at once, calls are cut).
	// docs/DEPLOY.md.
	DrainTimeout Duration `toml:"drain_timeout"`
	// Cluster is the [cluster] table: several hubs on one database (cluster.go).
	Cluster Cluster `toml:"cluster"`
	// Discovery is the [discovery] table: which clients see the discovery surface instead
	// of every tool (discovery.go, docs/DISCOVERY.md).
	Discovery Discovery `toml:"discovery"`
	// UI is the [ui] table: the web console at /ui (ui.go).
	UI UI `toml:"ui"`
	// Tracing is the [tracing] table: OpenTelemetry spans of every call, exported over
	// OTLP/HTTP (docs/TRACING.md). Off unless an endpoint is set here or in OTEL_* variables.
	Tracing tracing.Settings `toml:"tracing"`
}

// Proxies parses TrustedProxies (checked by Validate).
func (c *Config) Proxies() []netip.Prefix {
	out, _ := parseProxies(c.TrustedProxies)
	return out
}

func parseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %q is neither an IP address nor a CIDR prefix", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// DefaultDrainTimeout is drain_timeout's default: it fits within Kubernetes' default
// terminationGracePeriodSeconds of 30 s only without preStop; docs/deploy/k8s gives the pod 45 s.
const DefaultDrainTimeout = 30 * time.Second

// Default returns the built-in defaults.
func Default() Config {
	dir := ".mcp-gateway-hub"
	if home, err := os.UserHomeDir(); err == nil {
		dir = filepath.Join(home, dir)
	}
	return Config{Listen: "127.0.0.1:3200", DataDir: dir, MaxBodyBytes: 16 << 20, PageSize: 500,
		Releases: defaultReleases(), Audit: defaultAudit(), Limits: defaultLimits(), Calls: defaultCalls(), OAuth: defaultOAuth(),
		DrainTimeout: Duration{DefaultDrainTimeout}, UI: defaultUI()}
}

// Load returns the defaults overlaid with the file (if path is not empty) and the environment.
func Load(path string) (Config, error) {
	c := Default()
	if path != "" {
		md, err := toml.DecodeFile(path, &c)
		if err != nil {
			return c, fmt.Errorf("read config %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			what := "unknown setting"
			if len(und) > 1 {
				what += "s"
			}
			return c, fmt.Errorf("read config %s: %s %s", path, what, tomlkeys.DescribeAll(c, und))
		}
	}
	c.fromEnv(os.Getenv)
	return c, nil
}

// EnvSettings maps each environment variable that overrides a setting of hub.toml to that
// setting's key. docs/CONFIG.md is generated from it.
var EnvSettings = map[string]string{
	"MCPGW_LISTEN": "listen", "MCPGW_DATA_DIR": "data_dir", "DATABASE_URL": "database_url",
	"MCPGW_ANONYMOUS_ROLE": "anonymous_role", "MCPGW_POLICY_FILE": "policy_file",
	"MCPGW_PUBLIC_URL": "public_url", "MCPGW_CLUSTER_URL": "cluster.url", "MCPGW_CLUSTER_ID": "cluster.id",
}

func (c *Config) fromEnv(get func(string) string) {
	dst := map[string]*string{
		"listen": &c.Listen, "data_dir": &c.DataDir, "database_url": &c.DatabaseURL,
		"anonymous_role": &c.AnonymousRole, "policy_file": &c.PolicyFile, "public_url": &c.PublicURL,
		"cluster.url": &c.Cluster.URL, "cluster.id": &c.Cluster.ID,
	}
	for env, key := range EnvSettings {
		if v := get(env); v != "" {
			*dst[key] = v
		}
	}
}

// Validate checks the settings together.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen %q: want host:port", c.Listen))
	}
	if c.AnonymousRole != "" && !c.Loopback() {
		errs = append(errs, fmt.Errorf("anonymous_role %q is refused: the hub listens on %s, which is not a loopback address", c.AnonymousRole, c.Listen))
	}
	if c.AnonymousRole != "" && c.PublicURL != "" {
		// A public URL means a reverse proxy or tunnel relays the network to the loopback
		// listener: anonymous access would reach whoever the proxy serves.
		errs = append(errs, fmt.Errorf("anonymous_role %q is refused: public_url %s says the hub is reached from the network", c.AnonymousRole, c.PublicURL))
	}
	if c.AnonymousRole != "" && len(c.TrustedProxies) > 0 {
		errs = append(errs, fmt.Errorf("anonymous_role %q is refused: trusted_proxies says reverse proxies relay the network to the hub", c.AnonymousRole))
	}
	if c.DrainTimeout.Duration < 0 || c.DrainTimeout.Duration > time.Hour {
		errs = append(errs, fmt.Errorf("drain_timeout %s: want between 0 (no draining) and 1h", c.DrainTimeout.Duration))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert and tls_key must be set together"))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty and no database_url is set"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("database_url must be a postgres:// or postgresql:// URL"))
	}
	if err := c.Discovery.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Tracing.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Releases.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Audit.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Calls.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.OAuth.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := checkPublicURL(c.PublicURL); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseProxies(c.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	if err := c.UI.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Cluster.validate(c.DatabaseURL); err != nil {
		errs = append(errs, err)
	}
	if err := validateGroups(c.Groups); err != nil {
		errs = append(errs, err)
	}
	names := map[string]bool{}
	for i := range c.Backends {
		b := &c.Backends[i]
		if err := b.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("backends[%d]: %w", i, err))
		}
		if names[b.Name] {
			errs = append(errs, fmt.Errorf("backends[%d]: duplicate name %q", i, b.Name))
		}
		names[b.Name] = true
	}
	return errors.Join(errs...)
}

// Loopback reports whether Listen is a loopback address.
func (c *Config) Loopback() bool {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
