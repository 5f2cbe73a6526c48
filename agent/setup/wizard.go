package setup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/connector"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// ErrCancelled is returned when the person quits the wizard; nothing has been written.
var ErrCancelled = errors.New("setup cancelled; nothing was written")

// Next is what the person wants after the wizard wrote the config.
type Next int

const (
	NextNothing Next = iota
	NextRun          // run the agent now, in this terminal
	NextService      // install and start the service
)

// Wizard asks for the hub, the key, the agent id and the backends, one line at a time,
// proves the hub settings with a real handshake, and writes the config. It works on a
// terminal (the key is read without echo), on a pipe, and in tests.
type Wizard struct {
	In         io.Reader
	Out        io.Writer
	ConfigPath string  // default config.ConfigPath()
	Check      Checker // default DefaultChecker
	// ReadSecret reads the key without echo. When nil and In is a terminal, the terminal's
	// no-echo mode is used; otherwise the key is read as a plain line.
	ReadSecret func() (string, error)
	// OfferNext asks, after writing, whether to run now or install the service.
	OfferNext bool
}

// WizardResult says what the wizard did.
type WizardResult struct {
	Path    string
	Written bool
	Checked bool // the hub accepted the settings that were written
	Next    Next
	Config  *config.Config
}

// Run runs the wizard; the dashboard's setup key and `setup` both start it here. It returns
// ErrCancelled or ErrInputEnded when the person stops before the end, and writes nothing then.
func (w Wizard) Run(ctx context.Context) (WizardResult, error) {
	path, cfg, err := load(w.ConfigPath)
	if err != nil {
		return WizardResult{}, err
	}
	res := WizardResult{Path: path, Config: cfg}
	p := &prompter{in: bufio.NewReader(w.In), out: w.Out, secret: w.secretReader()}
	p.say("mcp-gateway-agent setup: connect this machine's MCP servers to a hub.")
	p.say("Config file: %s. Press Enter to keep the value in [brackets].\n", path)
	if res.Checked, err = w.hubSettings(ctx, p, cfg); err != nil {
		return res, err
	}
	if err := editBackends(p, cfg); err != nil {
		return res, err
	}
	if err := cfg.Validate(); err != nil {
		return res, fmt.Errorf("config %s: %w", path, err)
	}
	if err := cfg.Write(path); err != nil {
		return res, err
	}
	res.Written = true
	p.say("\nWrote %s (readable by you only).", path)
	if !w.OfferNext {
		return res, nil
	}
	c, err := p.choose("What next?", []string{"run now", "install as a service", "nothing"}, 'n')
	if err != nil {
		return res, err
	}
	res.Next = map[byte]Next{'r': NextRun, 'i': NextService}[c]
	return res, nil
}

func (w Wizard) secretReader() func() (string, error) {
	if w.ReadSecret != nil {
		return w.ReadSecret
	}
	f, ok := w.In.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return nil
	}
	return func() (string, error) {
		b, err := term.ReadPassword(f.Fd())
		return string(b), err
	}
}

// hubSettings asks until the hub accepts the settings, or the person saves them
// unchecked (false) or quits.
func (w Wizard) hubSettings(ctx context.Context, p *prompter, cfg *config.Config) (bool, error) {
	check := w.Check
	if check == nil {
		check = DefaultChecker
	}
	for ask := true; ; {
		if ask {
			if err := askAgent(p, &cfg.Agent); err != nil {
				return false, err
			}
		}
		p.say("Checking with the hub at %s ...", cfg.Agent.GatewayURL)
		welcome, err := check(ctx, cfg.Agent)
		if err == nil {
			p.say("OK: the hub (version %s) accepted agent %q.\n", welcome.HubVersion, welcome.AgentID)
			return true, nil
		}
		p.say("%s\n", describe(err))
		var refused *connector.RefusalError
		if errors.As(err, &refused) && refused.Code == protocol.RefuseAgentID &&
			refused.BoundAgentID != "" && config.CheckAgentID(refused.BoundAgentID) == nil {
			// The hub named the id this key is bound to (to the key's holder only).
			c, err := p.choose(fmt.Sprintf("This key is bound to agent %q. Use that id?", refused.BoundAgentID), []string{"yes", "no"}, 'y')
			if err != nil {
				return false, err
			}
			if c == 'y' {
				cfg.Agent.AgentID, ask = refused.BoundAgentID, false
				continue
			}
		}
		c, err := p.choose("What now?", []string{"edit the settings", "retry", "save without a successful check", "quit"}, 'e')
		if err != nil {
			return false, err
		}
		switch c {
		case 's':
			p.say("The settings are kept unchecked; the agent will keep retrying when it runs.\n")
			return false, nil
		case 'q':
			return false, ErrCancelled
		}
		ask = c == 'e'
	}
}

// describe says what a failed check means, in the words of the issue: refused or unreachable.
func describe(err error) string {
	switch {
	case errors.Is(err, ErrRefused):
		return "REFUSED: " + strings.TrimPrefix(err.Error(), ErrRefused.Error()+": ") +
			"\n  Check the key (mcp-gateway-hub agents enroll ID prints one) and that it belongs to this agent id."
	case errors.Is(err, ErrUnreachable):
		return "UNREACHABLE: " + err.Error() + "\n  Check the URL, the network and any proxy (HTTPS_PROXY)."
	}
	return "FAILED: " + err.Error()
}

func askAgent(p *prompter, a *config.Agent) error {
	for {
		def := a.GatewayURL // the dashboard URL reads better, when it leads to the same tunnel
		if gw, _, err := HubURLs(a.DashboardURL); err == nil && gw == a.GatewayURL {
			def = a.DashboardURL
		}
		hub, err := p.ask("Hub URL (like https://hub.example.com)", def)
		if err != nil {
			return err
		}
		gw, dash, err := HubURLs(hub)
		if err == nil {
			a.GatewayURL, a.DashboardURL = gw, dash
			if w := PlaintextWarning(gw); w != "" {
				p.say("  Warning: %s.", w)
			}
			break
		}
		p.say("  %v", err)
	}
	for {
		key, err := p.askSecret("Agent key (mcpgw_..., from `mcp-gateway-hub agents enroll`)", a.APIKey)
		if err != nil {
			return err
		}
		if key != "" && !strings.ContainsAny(key, " \t") {
			a.APIKey = key
			break
		}
		p.say("  The key is required and has no spaces; paste it again.")
	}
	def := a.AgentID
	if def == "" {
		def = DefaultAgentID()
	}
	for {
		id, err := p.ask("Agent id (the name of this machine at the hub)", def)
		if err != nil {
			return err
		}
		if err := config.CheckAgentID(id); err != nil {
			p.say("  The agent id %v.", err)
			continue
		}
		a.AgentID = id
		return nil
	}
}
