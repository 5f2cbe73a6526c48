package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

const keyColumns = "id, name, prefix, hash, kind, user_id, agent_id, application, scope, role, surface, tool_groups, created_at, expires_at, last_used_at, revoked_at"

func (s *sqlStore) CreateKey(ctx context.Context, k *APIKey) error {
	if k.Scope == "" {
		k.Scope = ScopeMCP
		if k.Kind == KindAgent {
			k.Scope = ScopeAll
		}
	}
	if err := checkKey(k); err != nil {
		return fmt.Errorf("create key %q: %w", k.ID, err)
	}
	if k.ID == "" {
		k.ID = newID("key_")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = now()
	}
	k.CreatedAt = k.CreatedAt.UTC().Truncate(time.Microsecond)
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO api_keys ("+keyColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		k.ID, k.Name, k.Prefix, k.Hash, k.Kind, nullStr(k.UserID), nullStr(k.AgentID), k.Application, k.Scope, k.Role, k.Surface, strings.Join(k.Groups, ","),
		s.ts(k.CreatedAt), s.tsPtr(k.ExpiresAt), s.tsPtr(k.LastUsedAt), s.tsPtr(k.RevokedAt))
	if err != nil {
		return fmt.Errorf("create key %q: %w", k.ID, mapErr(err))
	}
	return nil
}

// checkKey catches what the schema's CHECK constraints would, with a readable message.
func checkKey(k *APIKey) error {
	switch {
	case k.Hash == "":
		return fmt.Errorf("hash is required")
	case k.Kind == KindUser && (k.UserID == "" || k.AgentID != ""):
		return fmt.Errorf("a user key needs UserID and no AgentID")
	case k.Kind == KindAgent && (k.AgentID == "" || k.UserID != ""):
		return fmt.Errorf("an agent key needs AgentID and no UserID")
	case k.Kind == KindAgent && k.Application != "":
		return fmt.Errorf("an agent key has no application")
	case k.Kind == KindAgent && k.Role != "":
		return fmt.Errorf("an agent key has no role")
	case !ValidSurface(k.Surface):
		return fmt.Errorf("surface %q is none of %q, %q and %q", k.Surface, "", SurfaceFull, SurfaceDiscovery)
	case k.Kind == KindAgent && k.Surface != "":
		return fmt.Errorf("an agent key has no surface")
	case k.Kind == KindAgent && len(k.Groups) > 0:
		return fmt.Errorf("an agent key has no tool groups")
	case slices.ContainsFunc(k.Groups, func(g string) bool { return g == "" || strings.Contains(g, ",") }):
		return fmt.Errorf("tool group names must be non-empty and have no comma")
	case !ValidScope(k.Scope):
		return fmt.Errorf("scope %q is none of %q, %q and %q", k.Scope, ScopeMCP, ScopeAdmin, ScopeAll)
	case k.Kind != KindUser && k.Kind != KindAgent:
		return fmt.Errorf("kind %q is neither %q nor %q", k.Kind, KindUser, KindAgent)
	}
	return nil
}

func (s *sqlStore) GetKey(ctx context.Context, id string) (*APIKey, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+keyColumns+" FROM api_keys WHERE id = ?"), id)
	k, err := scanKey(row)
	if err != nil {
		return nil, fmt.Errorf("get key %q: %w", id, mapErr(err))
	}
	return k, nil
}

func (s *sqlStore) ListKeys(ctx context.Context) ([]APIKey, error) {
	ks, err := s.queryKeys(ctx, "SELECT "+keyColumns+" FROM api_keys ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return ks, nil
}

func (s *sqlStore) ActiveKeys(ctx context.Context) ([]APIKey, error) {
	// Keys of a revoked agent are excluded even if RevokeAgent somehow missed them.
	ks, err := s.queryKeysOn(ctx, s.reads(), s.q("SELECT "+keyColumns+" FROM api_keys"+
		" WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"+
		" AND (agent_id IS NULL OR agent_id NOT IN (SELECT id FROM agents WHERE revoked_at IS NOT NULL))"+
		" ORDER BY created_at, id"), s.ts(now()))
	if err != nil {
		return nil, fmt.Errorf("active keys: %w", err)
	}
	return ks, nil
}

func (s *sqlStore) RevokeKey(ctx context.Context, id string) error {
	if err := s.execOne(ctx, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", s.ts(now()), id); err != nil {
		return fmt.Errorf("revoke key %q: %w", id, err)
	}
	return nil
}

func (s *sqlStore) SetKeySurface(ctx context.Context, id, surface string) error {
	if !ValidSurface(surface) {
		return fmt.Errorf("set surface of key %q: surface %q is none of %q, %q and %q", id, surface, "", SurfaceFull, SurfaceDiscovery)
	}
	if err := s.execOne(ctx, "UPDATE api_keys SET surface = ? WHERE id = ? AND kind = 'user'", surface, id); err != nil {
		return fmt.Errorf("set surface of key %q: %w", id, err)
	}
	return nil
}

func (s *sqlStore) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	// Sorted IDs give every writer the same row order, so concurrent batches from
	// several hubs cannot deadlock on PostgreSQL.
	ids := slices.Sorted(maps.Keys(lastUsed))
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.q("UPDATE api_keys SET last_used_at = ?"+
			" WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)"))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			at := s.ts(lastUsed[id])
			if _, err := stmt.ExecContext(ctx, at, id, at); err != nil {
				return fmt.Errorf("key %q: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("touch %d keys: %w", len(ids), mapErr(err))
	}
	return nil
}

func (s *sqlStore) queryKeys(ctx context.Context, query string, args ...any) ([]APIKey, error) {
	return s.queryKeysOn(ctx, s.db, query, args...)
}

func (s *sqlStore) queryKeysOn(ctx context.Context, db *sql.DB, query string, args ...any) ([]APIKey, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var ks []APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		ks = append(ks, *k)
	}
	return ks, mapErr(rows.Err())
}

func scanKey(r scanner) (*APIKey, error) {
	var k APIKey
	var userID, agentID sql.NullString
	var expires, used, revoked time.Time
	var groups string
	err := r.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &k.Kind, &userID, &agentID, &k.Application, &k.Scope, &k.Role, &k.Surface, &groups,
		scanTime{&k.CreatedAt}, scanTime{&expires}, scanTime{&used}, scanTime{&revoked})
	if err != nil {
		return nil, err
	}
	k.UserID, k.AgentID = userID.String, agentID.String
	if groups != "" {
		k.Groups = strings.Split(groups, ",")
	}
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = optTime(expires), optTime(used), optTime(revoked)
	return &k, nil
}
