package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mcp-gateway/mcp-gateway/hub/api"
	"github.com/mcp-gateway/mcp-gateway/hub/config"
)

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 1<<20)) }

// keysRemote is `keys` against the REST API (see remoteMode).
func keysRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "keys list [--user NAME|ID|*] | create [--name N] [--user NAME|ID] [--app A] [--scope mcp|admin|all] [--role R] [--surface full|discovery] [--groups G,…] [--expires 720h] | set-surface ID full|discovery|default | revoke ID")
	}
	sub, args := args[0], args[1:]
	c := newCmd("keys", sub, env)
	user := c.fs.String("user", "", "whose keys: a user's name or id (list: or *); default your own")
	name := c.fs.String("name", "cli", "name of the key (create)")
	app := c.fs.String("app", "", "the application the key is for, e.g. cursor (create)")
	expires := c.fs.String("expires", "", "lifetime, e.g. 720h (create; empty = never)")
	role := c.fs.String("role", "", "a role the key acts with instead of the user's, one the user's role covers (create; empty = the user's)")
	scope := c.fs.String("scope", "mcp", "what the key may be used for (create): mcp (MCP calls only), admin (the REST API only) or all")
	surface := c.fs.String("surface", "", "what the key's client sees (create): full (every tool) or discovery (search, describe and call); empty = its application's, else the endpoint's")
	groups := c.fs.String("groups", "", "comma-separated tool groups the key is limited to: it reaches only /mcp/<group> (create; empty = not limited)")
	switch sub {
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		if err := c.r.resolveUser(ctx, user); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/api-keys"+query(map[string]string{"user": *user}), nil,
			"id", "name", "user_id", "application", "scope", "role", "surface", "groups", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
	case "create":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		if err := c.r.resolveUser(ctx, user); err != nil {
			return err
		}
		raw, err := c.r.do(ctx, "POST", "/api-keys", api.CreateKeyRequest{Name: *name, UserID: *user, Application: *app, Scope: *scope, Role: *role, Surface: *surface, Groups: splitComma(*groups), ExpiresIn: *expires})
		if err != nil {
			return err
		}
		return c.r.showSecret(raw, "key", "key %s (%s) — shown once, store it now:")
	case "set-surface":
		if err := c.parse(args, 2, "a key id and a surface: full, discovery or default"); err != nil {
			return err
		}
		return c.show(ctx, "PATCH", "/api-keys/"+pathEscape(c.fs.Arg(0)), api.UpdateKeyRequest{Surface: surfaceArg(c.fs.Arg(1))},
			"id", "name", "user_id", "application", "surface")
	case "revoke":
		if err := c.parse(args, 1, "one key id"); err != nil {
			return err
		}
		return c.show(ctx, "DELETE", "/api-keys/"+pathEscape(c.fs.Arg(0)), nil)
	}
	return unknownSub("keys", sub)
}

// resolveUser turns a user's name in *ref into the user's id. An id stays as it is (an id
// wins over a name); "" (the caller) and "*" (everyone) too. Resolving a name takes
// users.read; without it the reference goes to the hub unchanged, which decides.
func (r *remote) resolveUser(ctx context.Context, ref *string) error {
	if *ref == "" || *ref == "*" {
		return nil
	}
	_, err := r.do(ctx, "GET", "/users/"+pathEscape(*ref), nil)
	var ae *apiError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae) && ae.Status == http.StatusForbidden:
		return nil
	case !errors.As(err, &ae) || ae.Status != http.StatusNotFound:
		return err
	}
	cursor := ""
	for {
		raw, err := r.do(ctx, "GET", "/users"+query(map[string]string{"cursor": cursor}), nil)
		if err != nil {
			return err
		}
		var page api.List[api.User]
		if err := json.Unmarshal(raw, &page); err != nil {
			return fmt.Errorf("read the hub's user list: %w", err)
		}
		for _, u := range page.Items {
			if u.Name == *ref {
				*ref = u.ID
				return nil
			}
		}
		if page.Next == "" {
			return fmt.Errorf("no user has the id or name %q (mcp-gateway-hub users list)", *ref)
		}
		cursor = page.Next
	}
}

// agentsRemote is `agents` against the REST API (see remoteMode).
func agentsRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "agents list | enroll ID | rotate-key ID | revoke ID")
	}
	sub, args := args[0], args[1:]
	c := newCmd("agents", sub, env)
	switch sub {
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/agents", nil, "id", "connected", "created_at", "revoked_at")
	case "enroll":
		if err := c.parse(args, 1, "one agent id"); err != nil {
			return err
		}
		raw, err := c.r.do(ctx, "POST", "/agents", api.EnrollAgentRequest{ID: c.fs.Arg(0)})
		if err != nil {
			return err
		}
		return c.r.showSecret(raw, "key", "agent %s enrolled; its key (shown once, bound to this id):")
	case "rotate-key":
		if err := c.parse(args, 1, "one agent id"); err != nil {
			return err
		}
		raw, err := c.r.do(ctx, "POST", "/agents/"+pathEscape(c.fs.Arg(0))+"/rotate-key", nil)
		if err != nil {
			return err
		}
		return c.r.showSecret(raw, "key", "agent %s has a new key (shown once, bound to this id; its old keys are revoked):")
	case "revoke":
		if err := c.parse(args, 1, "one agent id"); err != nil {
			return err
		}
		return c.show(ctx, "DELETE", "/agents/"+pathEscape(c.fs.Arg(0)), nil)
	}
	return unknownSub("agents", sub)
}

// splitComma splits a comma-separated flag value; "" is none.
// surfaceArg is a set-surface argument as the API takes it: "default" clears the setting
// (a key then follows its application's, else the endpoint's; a group the hub's).
func surfaceArg(s string) *string {
	if s == "default" {
		s = ""
	}
	return &s
}

func splitComma(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// groupsRemote is `groups`: tool groups, each served at /mcp/<name> (docs/GROUPS.md).
func groupsRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "groups list | add NAME [--tools G,…] [--agents A,…] [--backends B|AGENT/B,…] [--risks R,…] [--surface full|discovery] [--description D] | update NAME (same flags) | set-surface NAME full|discovery|default | tools NAME | remove NAME")
	}
	sub, args := args[0], args[1:]
	c := newCmd("groups", sub, env)
	tools := c.fs.String("tools", "", "comma-separated globs over exposed tool names")
	agents := c.fs.String("agents", "", "comma-separated agent ids")
	backends := c.fs.String("backends", "", "comma-separated backends: NAME or AGENT/NAME")
	risks := c.fs.String("risks", "", "comma-separated risk categories")
	desc := c.fs.String("description", "", "what the group is for")
	surface := c.fs.String("surface", "", "what the group's endpoint serves: full (its tools) or discovery (search, describe and call over them); empty = the hub's")
	switch sub {
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/groups", nil, "name", "source", "endpoint", "surface", "tools", "agents", "backends", "risks", "description")
	case "add", "update":
		if err := c.parse(args, 1, "one group name"); err != nil {
			return err
		}
		body := config.Group{Description: *desc, Tools: splitComma(*tools), Agents: splitComma(*agents),
			Backends: splitComma(*backends), Risks: splitComma(*risks), Surface: *surface}
		method := map[string]string{"add": "POST", "update": "PUT"}[sub]
		return c.show(ctx, method, "/groups/"+pathEscape(c.fs.Arg(0)), body)
	case "tools":
		if err := c.parse(args, 1, "one group name"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/groups/"+pathEscape(c.fs.Arg(0))+"/tools", nil, "name", "agent", "backend", "risk")
	case "set-surface":
		if err := c.parse(args, 2, "a group name and a surface: full, discovery or default"); err != nil {
			return err
		}
		return c.show(ctx, "PATCH", "/groups/"+pathEscape(c.fs.Arg(0)), api.UpdateGroupRequest{Surface: surfaceArg(c.fs.Arg(1))},
			"name", "source", "endpoint", "surface")
	case "remove":
		if err := c.parse(args, 1, "one group name"); err != nil {
			return err
		}
		return c.show(ctx, "DELETE", "/groups/"+pathEscape(c.fs.Arg(0)), nil)
	}
	return unknownSub("groups", sub)
}

func backendsRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "backends list | add NAME --transport stdio|http|sse (--command C [--arg A]… [--env K=V]… [--cwd D] | --url U [--header K=V]…) [--naming auto] | update NAME (same flags) | remove NAME | login NAME [--no-browser]")
	}
	sub, args := args[0], args[1:]
	c := newCmd("backends", sub, env)
	transport := c.fs.String("transport", "", "stdio, http or sse")
	command := c.fs.String("command", "", "stdio: the program")
	cwd := c.fs.String("cwd", "", "stdio: working directory")
	url := c.fs.String("url", "", "http, sse: the endpoint")
	naming := c.fs.String("naming", "", "prefixed (default) or auto")
	var cmdArgs listFlag
	c.fs.Func("arg", "stdio: one argument (repeat)", func(v string) error { cmdArgs = append(cmdArgs, v); return nil })
	envs, headers := mapFlag{}, mapFlag{}
	c.fs.Var(envs, "env", "stdio: K=V added to the environment (repeat)")
	c.fs.Var(headers, "header", "http, sse: K=V header (repeat)")
	noBrowser := c.fs.Bool("no-browser", false, "login: only print the URL")
	switch sub {
	case "login":
		if err := c.parse(args, 1, "one backend name"); err != nil {
			return err
		}
		return backendLogin(ctx, c, c.fs.Arg(0), *noBrowser)
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/backends", nil, "agent", "name", "source", "transport", "state", "tools", "error")
	case "add", "update":
		if err := c.parse(args, 1, "one backend name"); err != nil {
			return err
		}
		body := api.BackendConfig{Transport: *transport, Command: *command, Args: cmdArgs, Env: envs,
			Cwd: *cwd, URL: *url, Headers: headers, Naming: *naming}
		method := map[string]string{"add": "POST", "update": "PUT"}[sub]
		return c.show(ctx, method, "/backends/"+pathEscape(c.fs.Arg(0)), body)
	case "remove":
		if err := c.parse(args, 1, "one backend name"); err != nil {
			return err
		}
		return c.show(ctx, "DELETE", "/backends/"+pathEscape(c.fs.Arg(0)), nil)
	}
	return unknownSub("backends", sub)
}

func toolsRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "tools list [--q TEXT] [--risk R] | get NAME | disable NAME | enable NAME | risk NAME CATEGORY (\"\" clears) | approve NAME [--fingerprint F] [--yes]")
	}
	sub, args := args[0], args[1:]
	c := newCmd("tools", sub, env)
	q := c.fs.String("q", "", "search names and descriptions (list)")
	risk := c.fs.String("risk", "", "only this risk category (list)")
	fp := c.fs.String("fingerprint", "", "approve only this reviewed definition (from get)")
	yes := c.fs.Bool("yes", false, "approve: do not ask, even for a high-severity finding (scripts)")
	switch sub {
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		return c.show(ctx, "GET", "/tools"+query(map[string]string{"q": *q, "risk": *risk}), nil,
			"name", "agent", "backend", "risk", "disabled", "quarantined", "status")
	case "get", "approve", "disable", "enable":
		if err := c.parse(args, 1, "one tool name"); err != nil {
			return err
		}
		path := "/tools/" + pathEscape(c.fs.Arg(0))
		switch sub {
		case "get":
			return c.show(ctx, "GET", path, nil)
		case "approve":
			if !*yes {
				reviewed, err := c.confirmApprove(ctx, path, c.fs.Arg(0))
				if err != nil {
					return err
				}
				if *fp == "" {
					*fp = reviewed // approve the definition that was shown, not a later one
				}
			}
			var body any
			if *fp != "" {
				body = api.ApproveRequest{Fingerprint: *fp}
			}
			return c.show(ctx, "POST", path+"/approve", body)
		}
		disabled := sub == "disable"
		return c.show(ctx, "PATCH", path, api.ToolPatch{Disabled: &disabled})
	case "risk":
		if err := c.parse(args, 2, "a tool name and a category"); err != nil {
			return err
		}
		category := c.fs.Arg(1)
		return c.show(ctx, "PATCH", "/tools/"+pathEscape(c.fs.Arg(0)), api.ToolPatch{Risk: &category})
	}
	return unknownSub("tools", sub)
}

func policiesRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "policies list | add-rule RULE | set-rule NAME RULE | delete-rule NAME | default allow|deny [--reason R] | dry-run --tool T [--role R] [--app A] [--arg K=V]…\n  RULE is a JSON object, a file holding one, or - for stdin")
	}
	sub, args := args[0], args[1:]
	c := newCmd("policies", sub, env)
	reason := c.fs.String("reason", "", "reason given when no rule matches (default)")
	tool := c.fs.String("tool", "", "exposed tool name (dry-run)")
	role := c.fs.String("role", "", "caller role (dry-run)")
	app := c.fs.String("app", "", "calling application (dry-run)")
	callArgs := mapFlag{}
	c.fs.Var(callArgs, "arg", "call argument K=V, a string (dry-run; repeat)")
	switch sub {
	case "list":
		if err := c.parse(args, 0, "no arguments"); err != nil {
			return err
		}
		raw, err := c.r.do(ctx, "GET", "/policies", nil)
		if err != nil {
			return err
		}
		return c.r.showPolicy(raw)
	case "add-rule", "set-rule":
		n := map[string]int{"add-rule": 1, "set-rule": 2}[sub]
		if err := c.parse(args, n, "the rule (and for set-rule its name first)"); err != nil {
			return err
		}
		rule, err := c.jsonArg(c.fs.Arg(n - 1))
		if err != nil {
			return err
		}
		if sub == "add-rule" {
			return c.show(ctx, "POST", "/policies/rules", rule, "name")
		}
		return c.show(ctx, "PUT", "/policies/rules/"+pathEscape(c.fs.Arg(0)), rule, "name")
	case "delete-rule":
		if err := c.parse(args, 1, "one rule name"); err != nil {
			return err
		}
		return c.show(ctx, "DELETE", "/policies/rules/"+pathEscape(c.fs.Arg(0)), nil)
	case "default":
		if err := c.parse(args, 1, "allow or deny"); err != nil {
			return err
		}
		raw, err := c.r.do(ctx, "PUT", "/policies/default", api.PolicyDefault{Default: c.fs.Arg(0), DefaultReason: *reason})
		if err != nil {
			return err
		}
		return c.r.showPolicy(raw)
	case "dry-run":
		if err := c.parse(args, 0, "flags only"); err != nil {
			return err
		}
		return c.dryRun(ctx, api.DryRun{Tool: *tool, Role: *role, Application: *app}, callArgs)
	}
	return unknownSub("policies", sub)
}

// dryRun asks the hub which policy rule decides a call, and prints why.
func (c *cmd) dryRun(ctx context.Context, body api.DryRun, callArgs map[string]string) error {
	body.Arguments = map[string]any{}
	for k, v := range callArgs {
		body.Arguments[k] = v
	}
	raw, err := c.r.do(ctx, "POST", "/policies/dry-run", body)
	if err != nil {
		return err
	}
	return c.r.showExplanation(raw)
}

func auditRemote(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return groupUsage(env, "audit list|stats|export [--from T] [--to T] [--user ID] [--agent A] [--backend B] [--tool T] [--kind K] [--status S] [--decision D] [--app A] [--limit N] [--cursor C]")
	}
	sub, args := args[0], args[1:]
	c := newCmd("audit", sub, env)
	filters := map[string]*string{}
	for _, f := range []string{"from", "to", "user", "agent", "backend", "tool", "kind", "status", "decision", "trace_id", "limit", "cursor"} {
		filters[f] = c.fs.String(f, "", "filter: "+f)
	}
	app := c.fs.String("app", "", "filter: application")
	if err := c.parse(args, 0, "flags only"); err != nil {
		return err
	}
	kv := map[string]string{"application": *app}
	for k, v := range filters {
		kv[k] = *v
	}
	switch sub {
	case "list":
		raw, err := c.r.do(ctx, "GET", "/audit"+query(kv), nil)
		if err != nil {
			return err
		}
		if err := c.r.show(raw, "time", "kind", "caller", "action", "target", "tool", "decision", "rule", "status"); err != nil {
			return err
		}
		return c.r.showNext(raw)
	case "stats":
		return c.show(ctx, "GET", "/audit/stats"+query(kv), nil)
	case "export":
		delete(kv, "limit")
		delete(kv, "cursor")
		return c.r.stream(ctx, "/audit/export"+query(kv), env.Stdout)
	}
	return unknownSub("audit", sub)
}

func usageRemote(ctx context.Context, args []string, env Env) error {
	c := newCmd("usage", "", env)
	bucket := c.fs.String("bucket", "1h", "bucket width (e.g. 15m, 1h, 24h)")
	by := c.fs.String("by", "tool", "tool, user, agent, backend or application")
	from := c.fs.String("from", "", "RFC 3339 start")
	to := c.fs.String("to", "", "RFC 3339 end")
	if err := c.parse(args, 0, "flags only"); err != nil {
		return err
	}
	return c.show(ctx, "GET", "/usage"+query(map[string]string{"bucket": *bucket, "by": *by, "from": *from, "to": *to}), nil,
		"bucket", "key", "calls", "errors", "denied", "avg_duration_ms")
}

// statusRemote prints the hub's version, start time, audit queue and connected agents.
func statusRemote(ctx context.Context, args []string, env Env) error {
	c := newCmd("status", "", env)
	if err := c.parse(args, 0, "flags only"); err != nil {
		return err
	}
	return c.show(ctx, "GET", "/status", nil)
}

// showSecret prints a creation answer whose field holds a secret shown once.
func (r *remote) showSecret(raw []byte, field, header string) error {
	if r.json {
		return r.show(raw)
	}
	m, err := object(raw)
	if err != nil {
		return err
	}
	if strings.Count(header, "%s") == 2 {
		header = fmt.Sprintf(header, cell(m["id"]), cell(m["name"]))
	} else {
		header = fmt.Sprintf(header, cell(m["id"]))
	}
	fmt.Fprintf(r.env.Stdout, "%s\n\n    %s\n\n", header, cell(m[field]))
	return nil
}

// loginRemote logs in with a password and prints an access token for --key / MCPGW_KEY.
func loginRemote(ctx context.Context, args []string, env Env) error {
	c := newCmd("login", "", env)
	user := c.fs.String("user", "", "user name")
	pw := c.fs.String("password", "", "password; prefer --password-stdin")
	pwStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	if err := c.parse(args, 0, "flags only"); err != nil {
		return err
	}
	if *user == "" {
		return fmt.Errorf("login: --user is required: %w", ErrUsage)
	}
	p, err := c.password(*pw, *pwStdin)
	if err != nil {
		return err
	}
	raw, err := c.r.send(ctx, "POST", "/auth/login", api.LoginRequest{Name: *user, Password: p})
	if err != nil {
		return err
	}
	if c.r.json {
		return c.r.show(raw)
	}
	m, err := object(raw)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "export MCPGW_KEY=%s   # access token, valid until %s\n", cell(m["access_token"]), cell(m["expires_at"]))
	return nil
}

// confirmApprove shows a tool's integrity findings before it is released and, when one is of
// high severity, asks on stdin (no answer is a no; --yes skips the question). It returns the
// fingerprint of the definition it showed.
func (c *cmd) confirmApprove(ctx context.Context, path, name string) (string, error) {
	raw, err := c.r.do(ctx, "GET", path, nil)
	if err != nil {
		return "", err
	}
	var t struct {
		Fingerprint string `json:"fingerprint"`
		Findings    []struct {
			Severity string `json:"severity"`
			Kind     string `json:"kind"`
			Field    string `json:"field"`
			Why      string `json:"why"`
			Excerpt  string `json:"excerpt"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return "", fmt.Errorf("tools approve: the hub's answer for %s: %w", name, err)
	}
	high := 0
	for _, f := range t.Findings {
		if f.Severity == "high" {
			high++
		}
	}
	if high == 0 {
		return t.Fingerprint, nil
	}
	fmt.Fprintf(c.env.Stderr, "%s has %d integrity finding(s), %d of high severity:\n", name, len(t.Findings), high)
	for _, f := range t.Findings {
		fmt.Fprintf(c.env.Stderr, "  %s %s in %s: %s: %q\n", f.Severity, f.Kind, f.Field, f.Why, f.Excerpt)
	}
	fmt.Fprintf(c.env.Stderr, "Release %s to every client allowed to call it? [y/N] ", name)
	line, _ := bufio.NewReader(c.stdin()).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return t.Fingerprint, nil
	}
	return "", fmt.Errorf("tools approve: %s not approved (answer y to release it, or pass --yes in scripts)", name)
}
