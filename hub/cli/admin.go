package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

func keysCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ErrUsage
	}
	sub, args := args[0], args[1:]
	f, fs, _ := parse("keys "+sub, args, env, false)
	name := fs.String("name", "cli", "name of the key (create)")
	expires := fs.Duration("expires", 0, "lifetime of the key, e.g. 720h (create; 0 = never)")
	scope := fs.String("scope", store.ScopeMCP, "what the key may be used for (create): mcp (MCP calls only), admin (the REST API only) or all")
	surface := fs.String("surface", "", "what the key's client sees (create): full or discovery (docs/DISCOVERY.md); empty = the hub's [discovery] settings")
	st, err := f.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "create":
		return createKey(ctx, st, auth.KeyOptions{Name: *name, Scope: *scope, Surface: *surface}, *expires, env)
	case "list":
		return listKeys(ctx, st, env)
	case "revoke":
		if fs.NArg() != 1 {
			return fmt.Errorf("keys revoke: want one key id: %w", ErrUsage)
		}
		if err := st.RevokeKey(ctx, fs.Arg(0)); err != nil {
			return fmt.Errorf("revoke key %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintln(env.Stdout, "revoked", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("keys: unknown subcommand %q: %w", sub, ErrUsage)
}

// createKey makes a key for the owner. Per-user keys come with user management.
func createKey(ctx context.Context, st store.Store, opts auth.KeyOptions, expires time.Duration, env Env) error {
	if err := auth.ValidScope(opts.Scope); err != nil {
		return fmt.Errorf("keys create: %w: %w", err, ErrUsage)
	}
	users, err := st.ListUsers(ctx)
	if err != nil {
		return err
	}
	var owner *store.User
	for i := range users {
		if users[i].Role == rbac.RoleOwner {
			owner = &users[i]
			break
		}
	}
	if owner == nil {
		return fmt.Errorf("no owner yet: run `mcp-gateway-hub init` first")
	}
	var exp *time.Time
	if expires > 0 {
		t := time.Now().Add(expires).UTC()
		exp = &t
	}
	k, plain, err := auth.CreateUserKey(ctx, st, owner.ID, auth.KeyOptions{Name: opts.Name, Scope: opts.Scope, Surface: opts.Surface, ExpiresAt: exp})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "key %s (%s, scope %s) for %s — shown once:\n\n    %s\n\n", k.ID, k.Name, k.Scope, owner.Name, plain)
	return nil
}

func listKeys(ctx context.Context, st store.Store, env Env) error {
	keys, err := st.ListKeys(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tSCOPE\tOWNER\tPREFIX\tCREATED\tEXPIRES\tSTATUS")
	for _, k := range keys {
		ownerID := k.UserID
		if k.Kind == "agent" {
			ownerID = "agent:" + k.AgentID
		}
		status := "active"
		if k.RevokedAt != nil {
			status = "revoked"
		} else if k.ExpiresAt != nil && k.ExpiresAt.Before(time.Now()) {
			status = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Name, k.Kind, k.Scope, ownerID, k.Prefix,
			k.CreatedAt.Format(time.RFC3339), fmtTime(k.ExpiresAt), status)
	}
	return tw.Flush()
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func agentsCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ErrUsage
	}
	sub, args := args[0], args[1:]
	f, fs, _ := parse("agents "+sub, args, env, false)
	st, err := f.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "enroll":
		if fs.NArg() != 1 {
			return fmt.Errorf("agents enroll: want one agent id: %w", ErrUsage)
		}
		a, key, err := auth.EnrollAgent(ctx, st, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "agent %s enrolled; its key (shown once, bound to this id):\n\n    %s\n\n", a.ID, key)
		return nil
	case "rotate-key":
		if fs.NArg() != 1 {
			return fmt.Errorf("agents rotate-key: want one agent id: %w", ErrUsage)
		}
		key, _, n, err := auth.RotateAgentKey(ctx, st, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "agent %s has a new key (shown once, bound to this id); %d old key(s) revoked:\n\n    %s\n\n"+
			"On the machine: MCPGW_API_KEY=<this key> mcp-gateway-agent setup --hub URL, then restart the agent.\n"+
			"A running hub refuses the old key and disconnects an agent connected with it within 40 s (at once\n"+
			"through the REST API: agents rotate-key %s --hub URL).\n", fs.Arg(0), n, key, fs.Arg(0))
		return nil
	case "list":
		list, err := st.ListAgents(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED\tSTATUS")
		for _, a := range list {
			status := "enrolled"
			if a.RevokedAt != nil {
				status = "revoked"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.ID, a.CreatedAt.Format(time.RFC3339), status)
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return fmt.Errorf("agents revoke: want one agent id: %w", ErrUsage)
		}
		if err := st.RevokeAgent(ctx, fs.Arg(0)); err != nil {
			return fmt.Errorf("revoke agent %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintln(env.Stdout, "revoked agent", fs.Arg(0), "and its keys")
		return nil
	}
	return fmt.Errorf("agents: unknown subcommand %q: %w", sub, ErrUsage)
}
