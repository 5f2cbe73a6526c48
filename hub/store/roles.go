package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const roleColumns = "name, description, permissions, tool_allow, tool_deny, created_at, updated_at"

func (s *sqlStore) CreateRole(ctx context.Context, r *Role) error {
	if r.Name == "" {
		return errors.New("create role: name is required")
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	r.CreatedAt = r.CreatedAt.UTC().Truncate(time.Microsecond)
	r.UpdatedAt = r.CreatedAt
	perms, allow, deny, err := encodeRoleLists(r)
	if err != nil {
		return fmt.Errorf("create role %q: %w", r.Name, err)
	}
	_, err = s.db.ExecContext(ctx, s.q("INSERT INTO roles ("+roleColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)"),
		r.Name, r.Description, perms, allow, deny, s.ts(r.CreatedAt), s.ts(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create role %q: %w", r.Name, mapErr(err))
	}
	return nil
}

func (s *sqlStore) GetRole(ctx context.Context, name string) (*Role, error) {
	row := s.db.QueryRowContext(ctx, s.q("SELECT "+roleColumns+" FROM roles WHERE name = ?"), name)
	r, err := scanRole(row)
	if err != nil {
		return nil, fmt.Errorf("get role %q: %w", name, mapErr(err))
	}
	return r, nil
}

func (s *sqlStore) ListRoles(ctx context.Context) ([]Role, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+roleColumns+" FROM roles ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", mapErr(err))
	}
	defer rows.Close()
	var rs []Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		rs = append(rs, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list roles: %w", mapErr(err))
	}
	return rs, nil
}

func (s *sqlStore) UpdateRole(ctx context.Context, r *Role) error {
	perms, allow, deny, err := encodeRoleLists(r)
	if err != nil {
		return fmt.Errorf("update role %q: %w", r.Name, err)
	}
	at := now()
	err = s.execOne(ctx, "UPDATE roles SET description = ?, permissions = ?, tool_allow = ?, tool_deny = ?, updated_at = ? WHERE name = ?",
		r.Description, perms, allow, deny, s.ts(at), r.Name)
	if err != nil {
		return fmt.Errorf("update role %q: %w", r.Name, err)
	}
	r.UpdatedAt = at
	return nil
}

func (s *sqlStore) DeleteRole(ctx context.Context, name string) error {
	if err := s.execOne(ctx, "DELETE FROM roles WHERE name = ?", name); err != nil {
		return fmt.Errorf("delete role %q: %w", name, err)
	}
	return nil
}

func encodeRoleLists(r *Role) (perms, allow, deny string, err error) {
	enc := func(l []string) string {
		if l == nil {
			l = []string{}
		}
		b, e := json.Marshal(l)
		if e != nil && err == nil {
			err = e
		}
		return string(b)
	}
	return enc(r.Permissions), enc(r.ToolAllow), enc(r.ToolDeny), err
}

func scanRole(sc scanner) (*Role, error) {
	var r Role
	var perms, allow, deny string
	err := sc.Scan(&r.Name, &r.Description, &perms, &allow, &deny, scanTime{&r.CreatedAt}, scanTime{&r.UpdatedAt})
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		col string
		raw string
		dst *[]string
	}{{"permissions", perms, &r.Permissions}, {"tool_allow", allow, &r.ToolAllow}, {"tool_deny", deny, &r.ToolDeny}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("role %q: column %s: %w", r.Name, f.col, err)
		}
	}
	return &r, nil
}
