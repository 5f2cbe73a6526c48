package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ToolGroupRecord is a tool group made through the REST API or the CLI. Spec is the JSON of
// a hub/config.Group; the store does not interpret it.
type ToolGroupRecord struct {
	Name      string
	Spec      string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ToolGroups stores the tool groups made at runtime (docs/GROUPS.md).
type ToolGroups interface {
	// CreateToolGroup inserts g (ErrConflict if the name is taken), filling in the times.
	CreateToolGroup(ctx context.Context, g *ToolGroupRecord) error
	ListToolGroups(ctx context.Context) ([]ToolGroupRecord, error)
	// UpdateToolGroup replaces the spec of an existing group (ErrNotFound if none).
	UpdateToolGroup(ctx context.Context, g *ToolGroupRecord) error
	DeleteToolGroup(ctx context.Context, name string) error
}

const toolGroupColumns = "name, spec, created_by, created_at, updated_at"

func (s *sqlStore) CreateToolGroup(ctx context.Context, g *ToolGroupRecord) error {
	if g.Name == "" || g.Spec == "" {
		return errors.New("create tool group: name and spec are required")
	}
	g.CreatedAt = now().UTC().Truncate(time.Microsecond)
	g.UpdatedAt = g.CreatedAt
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO tool_groups ("+toolGroupColumns+") VALUES (?, ?, ?, ?, ?)"),
		g.Name, g.Spec, g.CreatedBy, s.ts(g.CreatedAt), s.ts(g.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create tool group %q: %w", g.Name, mapErr(err))
	}
	return nil
}

func (s *sqlStore) ListToolGroups(ctx context.Context) ([]ToolGroupRecord, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+toolGroupColumns+" FROM tool_groups ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("list tool groups: %w", mapErr(err))
	}
	defer rows.Close()
	var out []ToolGroupRecord
	for rows.Next() {
		var g ToolGroupRecord
		if err := rows.Scan(&g.Name, &g.Spec, &g.CreatedBy, scanTime{&g.CreatedAt}, scanTime{&g.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list tool groups: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tool groups: %w", mapErr(err))
	}
	return out, nil
}

func (s *sqlStore) UpdateToolGroup(ctx context.Context, g *ToolGroupRecord) error {
	g.UpdatedAt = now().UTC().Truncate(time.Microsecond)
	if err := s.execOne(ctx, "UPDATE tool_groups SET spec = ?, updated_at = ? WHERE name = ?", g.Spec, s.ts(g.UpdatedAt), g.Name); err != nil {
		return fmt.Errorf("update tool group %q: %w", g.Name, err)
	}
	return nil
}

func (s *sqlStore) DeleteToolGroup(ctx context.Context, name string) error {
	if err := s.execOne(ctx, "DELETE FROM tool_groups WHERE name = ?", name); err != nil {
		return fmt.Errorf("delete tool group %q: %w", name, err)
	}
	return nil
}
