package setup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Errors of a failed check, re-exported so callers need not import the connector.
var (
	ErrRefused     = connector.ErrRefused
	ErrUnreachable = connector.ErrUnreachable
)

// CheckTimeout bounds the handshake with the hub.
const CheckTimeout = 20 * time.Second

// Checker proves [agent] settings against the hub; connector.Check in production.
type Checker func(ctx context.Context, a config.Agent) (protocol.Welcome, error)

// DefaultChecker is connector.Check with CheckTimeout.
func DefaultChecker(ctx context.Context, a config.Agent) (protocol.Welcome, error) {
	return connector.Check(ctx, a, connector.Options{HandshakeTimeout: CheckTimeout})
}

// Options is what the non-interactive setup is given. Empty fields keep the value of the
// existing config file, if there is one.
type Options struct {
	Hub           string // the hub: https://hub.example.com or wss://hub.example.com/agent/ws
	Key           string // the agent key printed by `mcp-gateway-hub agents enroll`
	AgentID       string // default: the existing one, else the one the key is bound to
	ConfigPath    string // default config.ConfigPath()
	TLSSkipVerify bool   // sets [agent] tls_skip_verify (testing only)
	SkipCheck     bool   // write without asking the hub (for images built offline)
	Check         Checker
}

// Result says what Apply did.
type Result struct {
	Path    string
	Config  *config.Config
	Welcome protocol.Welcome // zero when the check was skipped
}

// Apply is the non-interactive setup: it merges opts into the existing config (or a new
// one), validates it, proves the hub settings with a handshake, and only then writes it.
// A refused key yields an error matching ErrRefused, an unreachable hub one matching
// ErrUnreachable; in both cases the file is left as it was.
func Apply(ctx context.Context, opts Options) (*Result, error) {
	path, cfg, err := load(opts.ConfigPath)
	if err != nil {
		return nil, err
	}
	guessed := opts.AgentID == "" && cfg.Agent.AgentID == ""
	if err := merge(cfg, opts); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	res := &Result{Path: path, Config: cfg}
	if !opts.SkipCheck {
		check := opts.Check
		if check == nil {
			check = DefaultChecker
		}
		res.Welcome, err = check(ctx, cfg.Agent)
		// No agent id was given or configured, and the host name is not the one the key is
		// bound to: the hub named the key's own id (to the key's holder only); take it.
		var refused *connector.RefusalError
		if guessed && errors.As(err, &refused) && refused.Code == protocol.RefuseAgentID &&
			refused.BoundAgentID != "" && config.CheckAgentID(refused.BoundAgentID) == nil {
			cfg.Agent.AgentID = refused.BoundAgentID
			res.Welcome, err = check(ctx, cfg.Agent)
		}
		if err != nil {
			return nil, fmt.Errorf("config not written: %w", err)
		}
	}
	if err := cfg.Write(path); err != nil {
		return nil, err
	}
	return res, nil
}

func load(path string) (string, *config.Config, error) {
	path, err := config.ResolvePath(path)
	if err != nil {
		return "", nil, err
	}
	cfg, err := config.ReadOrDefaults(path)
	if err != nil {
		return "", nil, err
	}
	return path, cfg, nil
}

func merge(cfg *config.Config, opts Options) error {
	a := &cfg.Agent
	if opts.Hub != "" {
		gw, dash, err := HubURLs(opts.Hub)
		if err != nil {
			return err
		}
		a.GatewayURL, a.DashboardURL = gw, dash
	}
	if k := strings.TrimSpace(opts.Key); k != "" {
		a.APIKey = k
	}
	if opts.AgentID != "" {
		a.AgentID = opts.AgentID
	}
	if a.AgentID == "" {
		a.AgentID = DefaultAgentID()
	}
	if opts.TLSSkipVerify {
		a.TLSSkipVerify = true
	}
	var missing []string
	if a.GatewayURL == "" {
		missing = append(missing, "the hub URL (--hub)")
	}
	if a.APIKey == "" {
		missing = append(missing, "the agent key (--key, or "+config.EnvAPIKey+")")
	}
	if len(missing) > 0 {
		return errors.New("setup needs " + strings.Join(missing, " and "))
	}
	return nil
}

// DefaultAgentID is this machine's host name made into a valid agent id: the first label
// only (Johns-MacBook.local → Johns-MacBook), other characters replaced by '-'.
func DefaultAgentID() string {
	host, err := os.Hostname()
	if err != nil {
		return "agent"
	}
	return agentIDFrom(host)
}

func agentIDFrom(host string) string {
	host, _, _ = strings.Cut(host, ".")
	id := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, host)
	for strings.Contains(id, "__") {
		id = strings.ReplaceAll(id, "__", "_")
	}
	if len(id) > config.MaxAgentIDLen {
		id = id[:config.MaxAgentIDLen]
	}
	if id == "" {
		return "agent"
	}
	return id
}
