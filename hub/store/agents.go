package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

const agentColumns = "id, name, created_at, revoked_at, last_seen_at"

func (s *sqlStore) CreateAgent(ctx context.Context, a *Agent) error {
	if a.ID == "" {
		a.ID = newID("agt_")
	}
	if a.Name == "" {
		a.Name = a.ID
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now()
	}
	a.CreatedAt = a.CreatedAt.UTC().Truncate(time.Microsecond)
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO agents ("+agentColumns+") VALUES (?, ?, ?, ?, ?)"),
		a.ID, a.Name, s.ts(a.CreatedAt), s.tsPtr(a.RevokedAt), s.tsPtr(a.LastSeenAt))
	if err != nil {
		return fmt.Errorf("create agent %q: %w", a.ID, mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetAgent(ctx context.Context, id string) (*Agent, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+agentColumns+" FROM agents WHERE id = ?"), id)
	a, err := scanAgent(row)
	if err != nil {
		return nil, fmt.Errorf("get agent %q: %w", id, mapErr(err))
	}
	return a, nil
}

func (s *sqlStore) ListAgents(ctx context.Context) ([]Agent, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+agentColumns+" FROM agents ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", mapErr(err))
	}
	defer rows.Close()
	var as []Agent
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			return nil, fmt.Errorf("list agents: %w", err)
		}
		as = append(as, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list agents: %w", mapErr(err))
	}
	return as, nil
}

func (s *sqlStore) RevokeAgent(ctx context.Context, id string) error {
	at := s.ts(now())
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q("UPDATE agents SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"), at, id)
		if err != nil {
			return mapErr(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, s.q("UPDATE api_keys SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL"), at, id)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("revoke agent %q: %w", id, err)
	}
	return nil
}

func scanAgent(r scanner) (*Agent, error) {
	var a Agent
	var revoked, seen time.Time
	if err := r.Scan(&a.ID, &a.Name, scanTime{&a.CreatedAt}, scanTime{&revoked}, scanTime{&seen}); err != nil {
		return nil, err
	}
	a.RevokedAt, a.LastSeenAt = optTime(revoked), optTime(seen)
	return &a, nil
}

func (s *sqlStore) SetAgentsSeen(ctx context.Context, ids []string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, s.ts(at), s.ts(at))
	for _, id := range ids {
		args = append(args, id)
	}
	q := "UPDATE agents SET last_seen_at = ? WHERE (last_seen_at IS NULL OR last_seen_at < ?) AND id IN (?" +
		strings.Repeat(", ?", len(ids)-1) + ")"
	if _, err := s.db.ExecContext(ctx, s.q(q), args...); err != nil {
		return fmt.Errorf("set last seen of %d agents: %w", len(ids), mapErr(err))
	}
	return nil
}
