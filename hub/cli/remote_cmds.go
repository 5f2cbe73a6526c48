package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
)

// listFlag is a repeatable (or comma-separated) string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// mapFlag is a repeatable K=V flag.
type mapFlag map[string]string

func (m mapFlag) String() string { return "" }
func (m mapFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	m[k] = val
	return nil
}

// cmd is one admin subcommand: its parsed flags are in fs, its positional args in args.
type cmd struct {
	fs   *flagSet
	r    *remote
	env  Env
	name string
}

// newCmd starts parsing "group sub": register the sub-command's flags on c.fs.FlagSet,
// then call c.parse.
func newCmd(group, sub string, env Env) *cmd {
	fs := flag.NewFlagSet(group+" "+sub, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return &cmd{fs: &flagSet{FlagSet: fs}, r: remoteFlags(fs, env), env: env, name: group + " " + sub}
}

// parse parses args and checks the number of positional arguments (want; -1: any).
func (c *cmd) parse(args []string, want int, what string) error {
	if err := c.fs.Parse(args); err != nil {
		return ErrUsage
	}
	if want >= 0 && c.fs.NArg() != want {
		return fmt.Errorf("%s: want %s: %w", c.name, what, ErrUsage)
	}
	return nil
}

// stdin is Env.Stdin, or os.Stdin when that is nil.
func (c *cmd) stdin() io.Reader {
	if c.env.Stdin == nil {
		return os.Stdin
	}
	return c.env.Stdin
}

// password reads a password from --password or, with --password-stdin, one line of stdin.
func (c *cmd) password(flagValue string, fromStdin bool) (string, error) {
	if !fromStdin {
		return flagValue, nil
	}
	line, err := bufio.NewReader(c.stdin()).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func usersRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "users list | get ID | create NAME --role R [--password P | --password-stdin] | update ID [--name N] [--role R] [--disable | --enable] | delete ID | set-password ID (--password P | --password-stdin) | me | passwd --password-stdin (current, new)")
	}
	sub, args := args[0], args[1:]
	c := newCmd("users", sub, env)
	role := c.fs.String("role", "", "role (create, update)")
	name := c.fs.String("name", "", "new name (update)")
	pw := c.fs.String("password", "", "password (create, set-password); prefer --password-stdin")
	pwStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of stdin (passwd: current, then new)")
	current := c.fs.String("current", "", "your current password (passwd); prefer --password-stdin")
	disable := c.fs.Bool("disable", false, "disable the user (update)")
	enable := c.fs.Bool("enable", false, "enable the user (update)")
	switch sub {
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/users", nil, "id", "name", "role", "disabled", "has_password", "created_at")
	case "get", "delete":
		if err := c.parse(args, 1, "one user id"); err != nil {
			return err
		}
		if sub == "delete" {
			return c.show(ctx, "DELETE", "/users/"+pathEscape(c.fs.Arg(0)), nil)
		}
		return c.show(ctx, "GET", "/users/"+pathEscape(c.fs.Arg(0)), nil)
	case "create":
		if err := c.parse(args, 1, "one user name"); err != nil {
			return err
		}
		p, err := c.password(*pw, *pwStdin)
		if err != nil {
			return err
		}
		return c.show(ctx, "POST", "/users", api.CreateUserRequest{Name: c.fs.Arg(0), Role: *role, Password: p})
	case "update":
		if err := c.parse(args, 1, "one user id"); err != nil {
			return err
		}
		return c.show(ctx, "PATCH", "/users/"+pathEscape(c.fs.Arg(0)), userPatch(*name, *role, *disable, *enable))
	case "set-password":
		if err := c.parse(args, 1, "one user id"); err != nil {
			return err
		}
		p, err := c.password(*pw, *pwStdin)
		if err != nil {
			return err
		}
		return c.show(ctx, "POST", "/users/"+pathEscape(c.fs.Arg(0))+"/password", api.SetPasswordRequest{Password: p})
	case "me":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/auth/me", nil)
	case "passwd":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		cur, next, err := c.passwords(*current, *pw, *pwStdin)
		if err != nil {
			return err
		}
		return c.show(ctx, "POST", "/auth/password", api.ChangePasswordRequest{Current: cur, New: next})
	}
	return unknownSub("users", sub)
}

// passwords gives the current and the new password for passwd: from the flags, or with
// --password-stdin from stdin's first two lines (current, new; the first empty if none).
func (c *cmd) passwords(current, next string, fromStdin bool) (string, string, error) {
	if !fromStdin {
		return current, next, nil
	}
	br := bufio.NewReader(c.stdin())
	var lines [2]string
	for i := range lines {
		line, err := br.ReadString('\n')
		if err != nil && (line == "" || i == 0) {
			return "", "", fmt.Errorf("read the current and the new password (two lines) from stdin: %w", err)
		}
		lines[i] = strings.TrimRight(line, "\r\n")
	}
	return lines[0], lines[1], nil
}

// userPatch is the PATCH /users body of the given flags; unset ones are left out.
func userPatch(name, role string, disable, enable bool) api.UpdateUserRequest {
	var body api.UpdateUserRequest
	if name != "" {
		body.Name = &name
	}
	if role != "" {
		body.Role = &role
	}
	if disable || enable {
		body.Disabled = &disable
	}
	return body
}

func rolesRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "roles list | get NAME | create NAME --perm P,… [--allow GLOB,…] [--deny GLOB,…] [--description D] | update NAME (same flags) | delete NAME")
	}
	sub, args := args[0], args[1:]
	c := newCmd("roles", sub, env)
	var perms, allow, deny listFlag
	c.fs.Var(&perms, "perm", "permissions, comma-separated or repeated")
	c.fs.Var(&allow, "allow", "tool globs the role may reach (empty: all)")
	c.fs.Var(&deny, "deny", "tool globs the role may not reach")
	desc := c.fs.String("description", "", "description")
	switch sub {
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/roles", nil, "name", "built_in", "permissions", "tool_allow", "tool_deny")
	case "get", "delete":
		if err := c.parse(args, 1, "one role name"); err != nil {
			return err
		}
		method := map[string]string{"get": "GET", "delete": "DELETE"}[sub]
		return c.show(ctx, method, "/roles/"+pathEscape(c.fs.Arg(0)), nil)
	case "create", "update":
		if err := c.parse(args, 1, "one role name"); err != nil {
			return err
		}
		body := api.RoleRequest{Description: *desc, Permissions: append([]string{}, perms...), ToolAllow: allow, ToolDeny: deny}
		if sub == "create" {
			body.Name = c.fs.Arg(0)
			return c.show(ctx, "POST", "/roles", body)
		}
		return c.show(ctx, "PUT", "/roles/"+pathEscape(c.fs.Arg(0)), body)
	}
	return unknownSub("roles", sub)
}

// show sends a request and prints the answer (cols: the columns of a list).
func (c *cmd) show(ctx context.Context, method, path string, body any, cols ...string) error {
	raw, err := c.r.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		fmt.Fprintln(c.env.Stdout, "done")
		return nil
	}
	return c.r.show(raw, cols...)
}

func groupUsage(env Env, text string) error {
	fmt.Fprintf(env.Stderr, "usage: mcp-gateway-hub %s\n\nAPI flags: --hub URL (default %s, env MCPGW_HUB), --key KEY (env MCPGW_KEY), --json\n", text, DefaultHub)
	return ErrUsage
}

func unknownSub(group, sub string) error {
	return fmt.Errorf("%s: unknown subcommand %q: %w", group, sub, ErrUsage)
}

// jsonArg reads a JSON object from a file name, "-" (stdin) or an inline {…} argument.
func (c *cmd) jsonArg(arg string) (map[string]any, error) {
	var raw []byte
	var err error
	switch {
	case strings.HasPrefix(strings.TrimSpace(arg), "{"):
		raw = []byte(arg)
	case arg == "-":
		raw, err = readAll(c.stdin())
	default:
		raw, err = os.ReadFile(arg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: %s is not a JSON object: %w", c.name, arg, err)
	}
	return m, nil
}
