package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
	"github.com/mcp-gateway/mcp-gateway/agent/setup"
	"github.com/mcp-gateway/mcp-gateway/shared/backend"
)

const backendsUsage = `  backends list                      list the configured backends
  backends add --name N [--transport stdio|http|sse] [--url URL] [--env K=V]... [--header K=V]...
               [--naming prefixed|auto] [--cwd DIR] [--replace] [--no-check] [-- COMMAND ARGS...]
                                     add (or with --replace, change) a backend; a stdio command
                                     must be found (on PATH, or a path) unless --no-check
  backends remove NAME               remove a backend
  backends login NAME [--no-browser] log in to a backend that requires OAuth (prints the URL,
                                     opens the browser, waits for it on a loopback callback)
`

func backendsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, backendsUsage)
		return fmt.Errorf("%w: backends: want list, add, remove or login", ErrUsage)
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "list", "ls":
		return backendsList(rest, stdout, stderr)
	case "add":
		return backendsAdd(rest, stdout, stderr)
	case "remove", "rm":
		return backendsRemove(rest, stdout, stderr)
	case "login":
		return backendsLogin(ctx, rest, stdout, stderr)
	default:
		fmt.Fprint(stderr, backendsUsage)
		return fmt.Errorf("%w: backends: unknown subcommand %q", ErrUsage, sub)
	}
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func configPathFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "config file (default ~/.mcp-gateway-agent/config.toml)")
}

func backendsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backends list", stderr)
	path := configPathFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	p, err := config.ResolvePath(*path)
	if err != nil {
		return err
	}
	cfg, err := config.ReadFile(p)
	if err != nil {
		return err
	}
	if len(cfg.Backends) == 0 {
		fmt.Fprintf(stdout, "No backends in %s. Add one with: mcp-gateway-agent backends add --name NAME -- COMMAND ARGS...\n", p)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTRANSPORT\tRUNS / URL")
	for _, b := range cfg.Backends {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", b.Name, b.Transport, setup.Describe(b))
	}
	return tw.Flush()
}

func backendsAdd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backends add", stderr)
	path := configPathFlag(fs)
	var b backend.Config
	var env, headers listFlag
	var command, argLine string
	fs.StringVar(&b.Name, "name", "", "backend name (letters, digits, - and _)")
	fs.StringVar(&b.Transport, "transport", "", "stdio, http or sse (default: stdio with a command, http with --url)")
	fs.StringVar(&command, "command", "", "stdio: the program (or give it after --)")
	fs.StringVar(&argLine, "args", "", "stdio: its arguments, split like a shell does")
	fs.StringVar(&b.URL, "url", "", "http, sse: the endpoint")
	fs.StringVar(&b.Cwd, "cwd", "", "stdio: working directory")
	fs.StringVar(&b.Naming, "naming", "", "prefixed (default) or auto")
	fs.Var(&env, "env", "stdio: NAME=VALUE for the environment (repeatable)")
	fs.Var(&headers, "header", "http, sse: Name=Value sent on every request (repeatable)")
	replace := fs.Bool("replace", false, "replace a backend of the same name")
	noCheck := fs.Bool("no-check", false, "write a stdio backend whose command or --cwd is not found here")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: backends add: %w", ErrUsage, err)
	}
	words, err := commandWords(command, argLine, fs.Args())
	if err != nil {
		return fmt.Errorf("%w: backends add: %w", ErrUsage, err)
	}
	if len(words) > 0 {
		b.Command, b.Args = words[0], words[1:]
	}
	if b.Transport == "" {
		b.Transport = backend.TransportStdio
		if b.URL != "" && b.Command == "" {
			b.Transport = backend.TransportHTTP
		}
	}
	if b.Env, err = setup.ParsePairs(env, "--env"); err != nil {
		return fmt.Errorf("%w: backends add: %w", ErrUsage, err)
	}
	if b.Headers, err = setup.ParsePairs(headers, "--header"); err != nil {
		return fmt.Errorf("%w: backends add: %w", ErrUsage, err)
	}
	return editConfig(*path, stdout, func(cfg *config.Config) (string, error) {
		if err := setup.PutBackend(cfg, b, *replace); err != nil {
			return "", err
		}
		note, err := setup.CheckRunnable(b, os.Getenv("PATH"))
		switch {
		case err != nil && !*noCheck:
			return "", err
		case err != nil:
			note = "not checked (--no-check): " + err.Error()
		}
		return fmt.Sprintf("Backend %s (%s): %s\nCheck: %s", b.Name, b.Transport, setup.Describe(b), note), nil
	})
}

// commandWords merges --command, --args and what follows "--" into one command line.
func commandWords(command, argLine string, rest []string) ([]string, error) {
	var words []string
	if command != "" {
		words = append(words, command)
	}
	if argLine != "" {
		more, err := setup.SplitWords(argLine)
		if err != nil {
			return nil, fmt.Errorf("--args: %w", err)
		}
		if command == "" {
			return nil, errors.New("--args needs --command")
		}
		words = append(words, more...)
	}
	if len(rest) > 0 && len(words) > 0 {
		return nil, fmt.Errorf("give the command either with --command/--args or after --, not both (got %q)", rest)
	}
	return append(words, rest...), nil
}

func backendsRemove(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backends remove", stderr)
	path := configPathFlag(fs)
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:] // the name may come before the flags
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: backends remove: %w", ErrUsage, err)
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 || name == "" {
		return fmt.Errorf("%w: backends remove: give exactly one backend name", ErrUsage)
	}
	return editConfig(*path, stdout, func(cfg *config.Config) (string, error) {
		return "Removed backend " + name, setup.RemoveBackend(cfg, name)
	})
}

// editConfig reads the config (or starts an empty one), applies edit, checks the backends
// and writes the file back.
func editConfig(path string, stdout io.Writer, edit func(*config.Config) (string, error)) error {
	p, err := config.ResolvePath(path)
	if err != nil {
		return err
	}
	cfg, err := config.ReadOrDefaults(p)
	if err != nil {
		return err
	}
	msg, err := edit(cfg)
	if err != nil {
		return err
	}
	if err := cfg.ValidateBackends(); err != nil {
		return fmt.Errorf("config %s: %w", p, err)
	}
	if err := cfg.Write(p); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\nWrote %s. Restart the agent to apply it (mcp-gateway-agent service restart, if it runs as a service).\n", msg, p)
	return nil
}
