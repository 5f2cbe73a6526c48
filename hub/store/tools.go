package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Tool integrity states kept in ToolState.Status.
const (
	ToolPinned      = "pinned"      // first seen clean: its definition is pinned (trust on first use)
	ToolApproved    = "approved"    // an operator approved the pinned definition
	ToolQuarantined = "quarantined" // hidden and refused until an operator approves it
)

// ToolState is what the hub remembers about one tool across rediscovery: operator decisions
// (disabled, risk override, approval) and its integrity state. Agent "" is the hub itself.
type ToolState struct {
	Agent, Backend, Tool string
	Disabled             bool
	RiskOverride         string // a risk category, or "" for the classified one
	Status               string // "", ToolPinned, ToolApproved or ToolQuarantined
	PinnedHash           string // fingerprint of the pinned definition
	Findings             string // JSON: why the tool is quarantined
	ApprovedBy           string
	ApprovedAt           *time.Time
	UpdatedAt            time.Time
	// Definition, when not empty on a write, is the tool's definition (JSON) with the
	// fingerprint PinnedHash: PutToolState keeps it in tool_definitions for a later review
	// (ToolDefinition). It is never loaded back by ListToolStates.
	Definition string
}

// Tools stores tool states.
type Tools interface {
	// PutToolState inserts or replaces the state of one tool, setting UpdatedAt.
	PutToolState(ctx context.Context, ts *ToolState) error
	ListToolStates(ctx context.Context) ([]ToolState, error)
	// DeleteToolState forgets a tool's state (ErrNotFound if there is none).
	DeleteToolState(ctx context.Context, agent, backend, tool string) error
	// ToolDefinition returns the definition a tool was pinned or approved with under the
	// fingerprint hash (ErrNotFound if none was kept).
	ToolDefinition(ctx context.Context, agent, backend, tool, hash string) (string, error)
}

const toolColumns = "agent, backend, tool, disabled, risk_override, status, pinned_hash, findings, approved_by, approved_at, updated_at"

func (s *sqlStore) PutToolState(ctx context.Context, ts *ToolState) error {
	if ts.Backend == "" || ts.Tool == "" {
		return errors.New("put tool state: backend and tool are required")
	}
	ts.UpdatedAt = now()
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO tool_states ("+toolColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "+
		"ON CONFLICT (agent, backend, tool) DO UPDATE SET disabled = excluded.disabled, risk_override = excluded.risk_override, "+
		"status = excluded.status, pinned_hash = excluded.pinned_hash, findings = excluded.findings, "+
		"approved_by = excluded.approved_by, approved_at = excluded.approved_at, updated_at = excluded.updated_at"),
		ts.Agent, ts.Backend, ts.Tool, ts.Disabled, ts.RiskOverride, ts.Status, ts.PinnedHash, ts.Findings,
		ts.ApprovedBy, s.tsPtr(ts.ApprovedAt), s.ts(ts.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put tool state %s/%s/%s: %w", ts.Agent, ts.Backend, ts.Tool, mapErr(err))
	}
	if ts.Definition != "" && ts.PinnedHash != "" {
		if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO tool_definitions (agent, backend, tool, hash, definition) "+
			"VALUES (?, ?, ?, ?, ?) ON CONFLICT (agent, backend, tool, hash) DO NOTHING"),
			ts.Agent, ts.Backend, ts.Tool, ts.PinnedHash, ts.Definition); err != nil {
			return fmt.Errorf("put tool definition %s/%s/%s: %w", ts.Agent, ts.Backend, ts.Tool, mapErr(err))
		}
	}
	return nil
}

func (s *sqlStore) ToolDefinition(ctx context.Context, agent, backend, tool, hash string) (string, error) {
	var def string
	err := s.db.QueryRowContext(ctx, s.q("SELECT definition FROM tool_definitions WHERE agent = ? AND backend = ? AND tool = ? AND hash = ?"),
		agent, backend, tool, hash).Scan(&def)
	if err != nil {
		return "", fmt.Errorf("tool definition %s/%s/%s %s: %w", agent, backend, tool, hash, mapErr(err))
	}
	return def, nil
}

func (s *sqlStore) ListToolStates(ctx context.Context) ([]ToolState, error) {
	rows, err := s.reads().QueryContext(ctx, "SELECT "+toolColumns+" FROM tool_states ORDER BY agent, backend, tool")
	if err != nil {
		return nil, fmt.Errorf("list tool states: %w", mapErr(err))
	}
	defer rows.Close()
	var out []ToolState
	for rows.Next() {
		var ts ToolState
		var approved time.Time
		if err := rows.Scan(&ts.Agent, &ts.Backend, &ts.Tool, &ts.Disabled, &ts.RiskOverride, &ts.Status,
			&ts.PinnedHash, &ts.Findings, &ts.ApprovedBy, scanTime{&approved}, scanTime{&ts.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list tool states: %w", err)
		}
		ts.ApprovedAt = optTime(approved)
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tool states: %w", mapErr(err))
	}
	return out, nil
}

func (s *sqlStore) DeleteToolState(ctx context.Context, agent, backend, tool string) error {
	if err := s.execOne(ctx, "DELETE FROM tool_states WHERE agent = ? AND backend = ? AND tool = ?", agent, backend, tool); err != nil {
		return fmt.Errorf("delete tool state %s/%s/%s: %w", agent, backend, tool, err)
	}
	if _, err := s.db.ExecContext(ctx, s.q("DELETE FROM tool_definitions WHERE agent = ? AND backend = ? AND tool = ?"), agent, backend, tool); err != nil {
		return fmt.Errorf("delete tool definitions %s/%s/%s: %w", agent, backend, tool, mapErr(err))
	}
	return nil
}
