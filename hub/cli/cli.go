// Package cli implements the mcp-gateway-hub command line: serve, init and the offline store
// commands, policy tools, and the admin commands that talk to a running hub's REST API.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/term"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
	"github.com/mcp-gateway/mcp-gateway/hub/server"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/profile"
	"github.com/mcp-gateway/mcp-gateway/shared/version"
)

const usage = `mcp-gateway-hub — one MCP endpoint in front of every MCP server

Usage:
  mcp-gateway-hub serve  [--config FILE] [--listen ADDR] [--data-dir DIR] [--database-url URL] [--anonymous-role ROLE]
  mcp-gateway-hub init   [store flags]          create the store and the owner; print the owner key once
  mcp-gateway-hub keys   create [--name N] [--scope mcp|admin|all] [--surface full|discovery] [--expires 720h] | list | revoke ID   [store flags]
  mcp-gateway-hub agents enroll ID | list | rotate-key ID | revoke ID          [store flags]
  mcp-gateway-hub policy check FILE | test FILE CASES | explain FILE --tool X [--role R] …
  mcp-gateway-hub releases build [--source DIR] [--targets os/arch,…]   build and sign the agent for /install.sh
  mcp-gateway-hub releases keygen --out DIR | sign --key FILE checksums.txt | verify --pub FILE checksums.txt
  mcp-gateway-hub connect CLIENT [--url URL] [--key-env VAR | --key KEY] [--name N] [--write [--file F]]
                         the entry for claude-desktop, claude-code, cursor, vscode, windsurf, codex,
                         gemini or stdio (docs/CLIENTS.md)
  mcp-gateway-hub version

Administration through a running hub's REST API (docs/API.md):
  mcp-gateway-hub users    list | get | create | update | delete | set-password | me | passwd
  mcp-gateway-hub roles    list | get | create | update | delete
  mcp-gateway-hub keys     list | create | set-surface | revoke   (with --hub/--key/MCPGW_KEY and no store flag)
  mcp-gateway-hub agents   list | enroll | rotate-key | revoke   (same)
  mcp-gateway-hub backends list | add | update | remove
  mcp-gateway-hub groups   list | add | update | remove     (tool groups, served at /mcp/<name>)
  mcp-gateway-hub tools    list | get | disable | enable | risk | approve
  mcp-gateway-hub policies list | add-rule | set-rule | delete-rule | default | dry-run
  mcp-gateway-hub audit    list | stats | export
  mcp-gateway-hub usage    [--bucket 1h] [--by tool|user|agent|backend|application]
  mcp-gateway-hub status   (version, uptime, audit queue, connected agents)
  mcp-gateway-hub login    --user NAME --password-stdin   print an access token for --key
  Run a group without a subcommand for its flags.

Store flags: --config FILE, --data-dir DIR, --database-url URL (env MCPGW_DATA_DIR, DATABASE_URL).
The master key that seals backends' secrets: env MCPGW_MASTER_KEY, else DATA_DIR/master.key.
API flags: --hub URL (default http://127.0.0.1:3200, env MCPGW_HUB), --key KEY (env MCPGW_KEY), --json.
`

// ErrUsage is returned for a command line that does not parse; the usage text was printed.
var ErrUsage = errors.New("usage error")

// Env is what a command needs from its process.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader // nil: os.Stdin
	Logger         *slog.Logger
}

// Run runs the command line args (without the program name).
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ErrUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, env)
	case "init":
		return initCmd(ctx, rest, env)
	case "keys":
		if remoteMode(rest) {
			return keysRemote(ctx, rest, env)
		}
		return keysCmd(ctx, rest, env)
	case "agents":
		if remoteMode(rest) {
			return agentsRemote(ctx, rest, env)
		}
		return agentsCmd(ctx, rest, env)
	case "users":
		return usersRemote(ctx, rest, env)
	case "roles":
		return rolesRemote(ctx, rest, env)
	case "backends":
		return backendsRemote(ctx, rest, env)
	case "conformance-client": // hidden: the conformance suite's client scenarios (docs/OAUTH-BACKENDS.md)
		return conformanceClient(ctx, rest, env)
	case "groups":
		return groupsRemote(ctx, rest, env)
	case "tools":
		return toolsRemote(ctx, rest, env)
	case "policies":
		return policiesRemote(ctx, rest, env)
	case "audit":
		return auditRemote(ctx, rest, env)
	case "usage":
		return usageRemote(ctx, rest, env)
	case "status":
		return statusRemote(ctx, rest, env)
	case "login":
		return loginRemote(ctx, rest, env)
	case "policy":
		return policyCmd(ctx, rest, env)
	case "releases":
		return releasesCmd(ctx, rest, env)
	case "connect":
		return connectCmd(ctx, rest, env)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "mcp-gateway-hub", version.String())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	fmt.Fprintf(env.Stderr, "unknown command %q\n\n%s", cmd, usage)
	return ErrUsage
}

// storeFlags are the flags every command that touches the store takes.
type storeFlags struct {
	config, listen, dataDir, databaseURL, anonymousRole string
}

func (f *storeFlags) register(fs *flag.FlagSet, serve bool) {
	fs.StringVar(&f.config, "config", "", "hub.toml to read")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (SQLite database)")
	fs.StringVar(&f.databaseURL, "database-url", "", "PostgreSQL URL (postgres://…)")
	if serve {
		fs.StringVar(&f.listen, "listen", "", "address to listen on (default 127.0.0.1:3200)")
		fs.StringVar(&f.anonymousRole, "anonymous-role", "", "let requests without a key act as this role (loopback only)")
	}
}

// load applies defaults → file → environment → flags, then validates.
func (f *storeFlags) load() (config.Config, error) {
	c, err := config.Load(f.config)
	if err != nil {
		return c, err
	}
	for dst, v := range map[*string]string{&c.Listen: f.listen, &c.DataDir: f.dataDir, &c.DatabaseURL: f.databaseURL, &c.AnonymousRole: f.anonymousRole} {
		if v != "" {
			*dst = v
		}
	}
	return c, c.Validate()
}

func parse(name string, args []string, env Env, serve bool) (*storeFlags, *flagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var f storeFlags
	f.register(fs, serve)
	return &f, &flagSet{FlagSet: fs}, nil
}

// flagSet accepts flags before and after positional arguments (`agents enroll ID --data-dir D`).
type flagSet struct {
	*flag.FlagSet
	args []string
}

func (fs *flagSet) Parse(args []string) error {
	for {
		if err := fs.FlagSet.Parse(args); err != nil {
			return err
		}
		rest := fs.FlagSet.Args()
		if len(rest) == 0 {
			return nil
		}
		fs.args = append(fs.args, rest[0])
		args = rest[1:]
	}
}

func (fs *flagSet) NArg() int        { return len(fs.args) }
func (fs *flagSet) Arg(i int) string { return fs.args[i] }

// open parses the command's flags, loads the configuration and opens the store.
func (f *storeFlags) open(ctx context.Context, fs *flagSet, args []string) (store.Store, error) {
	if err := fs.Parse(args); err != nil {
		return nil, ErrUsage
	}
	c, err := f.load()
	if err != nil {
		return nil, err
	}
	key, err := server.LoadMasterKey(c)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, store.Config{DatabaseURL: c.DatabaseURL, DataDir: c.DataDir, MasterKey: key})
}

func serve(ctx context.Context, args []string, env Env) error {
	f, fs, _ := parse("serve", args, env, true)
	if err := fs.Parse(args); err != nil {
		return ErrUsage
	}
	c, err := f.load()
	if err != nil {
		return err
	}
	// From before the hub opens its store, so that a profile shows the start-up too
	// (bench/coldstart).
	stopProfile, err := profile.Start(os.LookupEnv)
	if err != nil {
		return err
	}
	defer stopProfile()
	s, err := server.New(ctx, c, env.Logger)
	if err != nil {
		return err
	}
	// Listen before the first owner is made: a start that fails on its address (the usual
	// fatal error) must not have made and shown the one owner key, which no later start shows.
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		s.Store.Close()
		return fmt.Errorf("listen: %w", err)
	}
	created, err := firstStart(ctx, s, c.DataDir, env)
	if err != nil {
		ln.Close()
		s.Store.Close()
		return err
	}
	env.Logger.Info("hub listening", "addr", ln.Addr().String(), "store", s.Store.Dialect(), "version", version.Current())
	if clearTextBeyondLoopback(c) {
		env.Logger.Warn("the hub listens beyond loopback without TLS: keys, tokens and tool calls cross the network in clear text; "+
			"set tls_cert and tls_key, or serve it behind a TLS-terminating proxy and set public_url to its https:// address (docs/CONFIG.md)",
			"addr", ln.Addr().String())
	}
	if created {
		printNextSteps(env.Stdout, hubURL(c, ln.Addr()))
	}
	return s.Run(ctx, ln)
}

// OwnerKeyFile is where serve writes the first owner key when its output is not a terminal.
const OwnerKeyFile = "owner.key"

// firstStart creates the owner when the store has no users and hands its key over once: on
// a terminal it is printed; otherwise (a service, whose output ends up in a journal or a log
// file) it goes to dataDir/owner.key, mode 0600, and only that path is printed.
// It reports whether it created the owner.
func firstStart(ctx context.Context, s *server.Server, dataDir string, env Env) (bool, error) {
	created, err := createFirstOwner(ctx, s, dataDir, env)
	if err != nil || !created {
		return false, err
	}
	return true, s.Keys.Refresh(ctx)
}

func createFirstOwner(ctx context.Context, s *server.Server, dataDir string, env Env) (bool, error) {
	users, err := s.Store.ListUsers(ctx)
	if err != nil || len(users) > 0 {
		return false, err
	}
	var f *os.File
	path := filepath.Join(dataDir, OwnerKeyFile)
	if dataDir != "" && !isTerminal(env.Stdout) {
		// Opened before the owner exists: a key that cannot be kept is never made.
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
			return false, fmt.Errorf("first start: the owner key cannot be written: %w "+
				"(if a previous start left %s, that key is not in this database: delete the file)", err, path)
		}
	}
	owner, key, err := auth.CreateOwner(ctx, s.Store, "owner")
	if err != nil {
		if f != nil {
			f.Close()
			os.Remove(path)
		}
		return false, fmt.Errorf("create owner: %w", err)
	}
	if f == nil {
		printOwnerKey(env.Stdout, key)
		return true, nil
	}
	_, err = f.WriteString(key + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// The key reached no one: undo the owner, so the next start makes and hands over one.
		os.Remove(path)
		if derr := s.Store.DeleteUser(ctx, owner.ID); derr != nil {
			return false, fmt.Errorf("first start: write the owner key to %s: %w; and the owner it belongs to could not be removed (%v): "+
				"make a new owner key with `mcp-gateway-hub keys create --scope all --data-dir %s`", path, err, derr, dataDir)
		}
		return false, fmt.Errorf("first start: write the owner key to %s: %w (no owner was kept: the next start makes one)", path, err)
	}
	fmt.Fprintf(env.Stdout, "\nOwner API key written to %s (mode 0600; it is not printed, so that it stays out of logs).\n"+
		"Read it, store it somewhere safe, then delete the file:\n\n    cat %s && rm %s\n\n", path, path, path)
	return true, nil
}

// clearTextBeyondLoopback reports whether the hub serves plain HTTP on an address other
// machines can reach, with nothing saying a TLS-terminating proxy is in front of it.
func clearTextBeyondLoopback(c config.Config) bool {
	return !c.Loopback() && c.TLSCert == "" && !strings.HasPrefix(c.PublicURL, "https://")
}

// hubURL is the hub's base URL as clients reach it: public_url, else the listen address
// (this machine's name where it listens on every address).
func hubURL(c config.Config, addr net.Addr) string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil && name != "" {
			host = name
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// printNextSteps tells the operator of a new hub where clients connect and how an agent
// is enrolled.
func printNextSteps(w io.Writer, base string) {
	hubFlag := ""
	if base != DefaultHub {
		hubFlag = "export MCPGW_HUB=" + base + "\n    "
	}
	fmt.Fprintf(w, `Next steps:

  The admin commands below talk to this hub with the owner key:

    %sexport MCPGW_KEY=<the owner key>

  AI clients: MCP endpoint %s/mcp, each with a key of its own (Authorization: Bearer <key>):

    mcp-gateway-hub keys create --name claude

  Agents: enroll a machine here, then set it up there with the key printed:

    mcp-gateway-hub agents enroll my-laptop
    MCPGW_API_KEY=<that key> mcp-gateway-agent setup --hub %s

  Every setting: docs/CONFIG.md.

`, hubFlag, base, base)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func printOwnerKey(w io.Writer, key string) {
	fmt.Fprintf(w, "\nOwner API key (shown once, store it now):\n\n    %s\n\n", key)
}

func initCmd(ctx context.Context, args []string, env Env) error {
	f, fs, _ := parse("init", args, env, false)
	st, err := f.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	_, key, err := auth.CreateOwner(ctx, st, "owner")
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w\n\nThis store already has its owner; init makes the first one only. For a new owner key:\n"+
			"  - with a working owner key, against the running hub:  mcp-gateway-hub keys create --name admin --scope all   (MCPGW_KEY set)\n"+
			"  - with no working key, on the store itself:           mcp-gateway-hub keys create --name admin --scope all %s\n"+
			"Revoke a lost key afterwards (keys list, keys revoke ID); docs/IDENTITY.md", err, storeFlagsOf(f))
	}
	if err != nil {
		return err
	}
	printOwnerKey(env.Stdout, key)
	return nil
}

// storeFlagsOf repeats the store flags a command was given, for a command line to suggest
// (--data-dir when none was, so the suggestion works against this store and not a hub).
func storeFlagsOf(f *storeFlags) string {
	switch {
	case f.config != "":
		return "--config " + f.config
	case f.databaseURL != "":
		return "--database-url '" + f.databaseURL + "'"
	case f.dataDir != "":
		return "--data-dir " + f.dataDir
	}
	if c, err := f.load(); err == nil && c.DatabaseURL == "" {
		return "--data-dir " + c.DataDir
	}
	return "--database-url \"$DATABASE_URL\""
}

// Main runs the hub's command line as a program: it returns the process exit code.
func Main(ctx context.Context, args []string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	err := Run(ctx, args, Env{Stdout: os.Stdout, Stderr: os.Stderr, Logger: log})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		if err != ErrUsage {
			fmt.Fprintln(os.Stderr, "mcp-gateway-hub:", err)
		}
		return 2
	}
	fmt.Fprintln(os.Stderr, "mcp-gateway-hub:", err)
	return 1
}
