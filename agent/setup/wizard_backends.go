package setup

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

// editBackends is the wizard's backends menu: list, add, edit, remove, until done.
func editBackends(p *prompter, cfg *config.Config) error {
	for {
		listBackends(p, cfg)
		s, err := p.ask("Backends: a = add, e N = edit, r N = remove, Enter = done", "")
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		op, arg, _ := strings.Cut(s, " ")
		if op = strings.ToLower(op); op == "a" || op == "add" {
			b, err := askBackend(p, backend.Config{Transport: backend.TransportStdio}, cfg, -1)
			if err != nil {
				return err
			}
			cfg.Backends = append(cfg.Backends, b)
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil || n < 1 || n > len(cfg.Backends) || (op != "e" && op != "r") {
			p.say("  Type a, e N or r N with N from the list, or press Enter when done.")
			continue
		}
		if op == "r" {
			p.say("  Removed %s.", cfg.Backends[n-1].Name)
			cfg.Backends = slices.Delete(cfg.Backends, n-1, n)
			continue
		}
		b, err := askBackend(p, cfg.Backends[n-1], cfg, n-1)
		if err != nil {
			return err
		}
		cfg.Backends[n-1] = b
	}
}

func listBackends(p *prompter, cfg *config.Config) {
	if len(cfg.Backends) == 0 {
		p.say("\nNo backends yet: add the MCP servers this machine should offer through the hub.")
		return
	}
	p.say("\nBackends:")
	for i, b := range cfg.Backends {
		p.say("  %d. %-16s %-5s %s", i+1, b.Name, b.Transport, Describe(b))
	}
}

// askBackend asks for every field of b (its values are the defaults) until the entry is
// valid and its name is not used by another backend than cfg.Backends[self].
func askBackend(p *prompter, b backend.Config, cfg *config.Config, self int) (backend.Config, error) {
	for {
		if err := askName(p, &b, cfg, self); err != nil {
			return b, err
		}
		if err := askBackendFields(p, &b); err != nil {
			return b, err
		}
		err := b.Validate()
		if err == nil {
			return b, nil
		}
		p.say("  %v; please correct it.", err)
	}
}

func askName(p *prompter, b *backend.Config, cfg *config.Config, self int) error {
	for {
		name, err := p.ask("  Name (letters, digits, - and _)", b.Name)
		if err != nil {
			return err
		}
		// Validate a minimal entry with this name: its error, if any, is about the name.
		probe := backend.Config{Name: name, Transport: backend.TransportStdio, Command: "x"}
		err = probe.Validate()
		if i := slices.IndexFunc(cfg.Backends, func(o backend.Config) bool { return o.Name == name }); err == nil && i >= 0 && i != self {
			err = fmt.Errorf("the name %q is already used by backend %d", name, i+1)
		}
		if err == nil {
			b.Name = name
			return nil
		}
		p.say("  %v.", err)
	}
}

func askBackendFields(p *prompter, b *backend.Config) error {
	for {
		t, err := p.ask("  Transport: stdio (a local program), http (streamable HTTP) or sse (old HTTP+SSE)", b.Transport)
		if err != nil {
			return err
		}
		if t = strings.ToLower(t); t == backend.TransportStdio || t == backend.TransportHTTP || t == backend.TransportSSE {
			b.Transport = t
			break
		}
		p.say("  Please answer stdio, http or sse.")
	}
	if b.Transport == backend.TransportStdio {
		return askStdio(p, b)
	}
	return askHTTP(p, b)
}

func askStdio(p *prompter, b *backend.Config) error {
	b.URL, b.Headers = "", nil
	def := ""
	if b.Command != "" {
		def = JoinWords(append([]string{b.Command}, b.Args...))
	}
	for {
		s, err := p.ask("  Command line (like: npx -y @modelcontextprotocol/server-github)", def)
		if err != nil {
			return err
		}
		words, err := SplitWords(s)
		if err == nil && len(words) > 0 {
			b.Command, b.Args = words[0], words[1:]
			break
		}
		p.say("  A command is required%s.", errSuffix(err))
	}
	env, err := askPairs(p, "  Environment variables (NAME=VALUE ...)", b.Env)
	b.Env = env
	return err
}

func askHTTP(p *prompter, b *backend.Config) error {
	b.Command, b.Args, b.Env, b.Cwd = "", nil, nil, ""
	var err error
	if b.URL, err = p.ask("  URL (like http://127.0.0.1:8080/mcp)", b.URL); err != nil {
		return err
	}
	b.Headers, err = askPairs(p, "  Headers (Name=Value ..., like Authorization='Bearer x')", b.Headers)
	return err
}

// askPairs reads NAME=VALUE words. Enter keeps the current ones (whose values are not
// shown: they are often secrets), "-" clears them.
func askPairs(p *prompter, question string, cur map[string]string) (map[string]string, error) {
	if len(cur) > 0 {
		question += " [Enter keeps " + strings.Join(sortedNames(cur), ", ") + "; - clears them]"
	}
	for {
		s, err := p.ask(question, "")
		if err != nil {
			return cur, err
		}
		switch s {
		case "":
			return cur, nil
		case "-":
			return nil, nil
		}
		words, err := SplitWords(s)
		if err == nil {
			var m map[string]string
			if m, err = ParsePairs(words, "item"); err == nil {
				return m, nil
			}
		}
		p.say("  %v", err)
	}
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return " (" + err.Error() + ")"
}
