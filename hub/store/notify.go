package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

// Topics of change notifications: what a committed write changed (migration 0006's
// triggers name them). TopicAll means "anything may have changed": sent after the
// listener (re)connects, since notifications sent while it was away are lost.
const (
	TopicUsers    = "users"
	TopicKeys     = "keys"
	TopicAgents   = "agents"
	TopicRoles    = "roles"
	TopicSettings = "settings"
	TopicTools    = "tools"
	TopicBackends = "backends"
	TopicPresence = "presence" // agent_presence: a claim, a release or new backends (migration 0007)
	TopicGroups   = "groups"   // tool_groups (migration 0010)
	TopicAll      = "*"
)

// ChangesChannel is the PostgreSQL channel the triggers notify on.
const ChangesChannel = "mcpgw_changes"

// ListenerName is the listening connection's application_name (pg_stat_activity).
const ListenerName = "mcp-gateway changes"

// ListenConfig configures Listen.
type ListenConfig struct {
	// DatabaseURL is the hub's postgres:// URL (its search_path selects the schema whose
	// changes are reported).
	DatabaseURL string
	// OnChange is called, from Listen's goroutine, with each topic as its notification
	// arrives, and with TopicAll after each (re)connect.
	OnChange func(topic string)
	// Logger gets one line per lost connection.
	Logger *slog.Logger
	// Ping is how long the connection may stay silent before it is checked (default 30 s):
	// a connection cut without a TCP reset would otherwise wait forever.
	Ping time.Duration
}

// Listen reports the changes other writers commit to a PostgreSQL database, on a dedicated
// connection, until ctx ends. A lost connection is re-opened with backoff (100 ms doubling
// to 5 s, with jitter); a hub keeps its periodic reloads as the fallback meanwhile.
func Listen(ctx context.Context, cfg ListenConfig) error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Ping <= 0 {
		cfg.Ping = 30 * time.Second
	}
	pc, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("listen for changes: %w", err)
	}
	// An idle wait that times out sets a deadline on the socket instead of sending the
	// server a cancel request; the connection stays usable for the ping.
	pc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	pc.RuntimeParams["application_name"] = ListenerName
	backoff := 100 * time.Millisecond
	for {
		err := listenOnce(ctx, pc, cfg, func() { backoff = 100 * time.Millisecond })
		if ctx.Err() != nil {
			return nil
		}
		cfg.Logger.Warn("change notifications lost; reconnecting (periodic reloads continue meanwhile)", "err", err, "retry_in", backoff)
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listenOnce connects, listens and reports until the connection fails or ctx ends.
func listenOnce(ctx context.Context, pc *pgx.ConnConfig, cfg ListenConfig, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, pc)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+ChangesChannel); err != nil {
		return err
	}
	connected()
	cfg.OnChange(TopicAll)
	for {
		wctx, cancel := context.WithTimeout(ctx, cfg.Ping)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if topic, ok := parseChange(n.Payload, schema); ok {
				cfg.OnChange(topic)
			}
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed():
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err = conn.Exec(pctx, "SELECT 1")
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}

// parseChange reads a notification's payload, "<schema>.<topic>", or "<schema>.<topic>\n<body>"
// from Broadcast (the topic then carries the body: "<topic>\n<body>"); a change in another
// schema of the same database is not ours.
func parseChange(payload, schema string) (string, bool) {
	head, body, hasBody := strings.Cut(payload, "\n")
	i := strings.LastIndexByte(head, '.')
	if i < 0 || head[:i] != schema || head[i+1:] == "" {
		return "", false
	}
	if hasBody {
		return head[i+1:] + "\n" + body, true
	}
	return head[i+1:], true
}
