package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/mcp-gateway/mcp-gateway/agent/config"
)

// State is update-state.json, kept in the agent's home directory.
type State struct {
	// Pending is an applied update on probation: set before the new binary first runs,
	// cleared once it has reached the hub, or by a rollback.
	Pending *Pending `json:"pending,omitempty"`
	// RolledBack lists versions that were rolled back; automatic updates skip them (an
	// update by hand still installs them).
	RolledBack []string `json:"rolled_back,omitempty"`
}

// Pending describes the update on probation.
type Pending struct {
	Previous  string    `json:"previous_version"`
	Version   string    `json:"version"`
	Binary    string    `json:"binary"`     // the path that was updated
	OldBinary string    `json:"old_binary"` // the previous binary, kept for the rollback
	AppliedAt time.Time `json:"applied_at"`
	// Deadline is when the new version must have reached the hub. It is set when the new
	// version first starts (start + grace), so an update applied by hand and started later
	// gets its full grace period; restarts (a crash loop) do not extend it.
	Deadline time.Time `json:"deadline,omitzero"`
}

// LoadState reads the state file; a missing file is an empty state.
func LoadState(path string) (State, error) {
	var s State
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read update state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("update state %s: %w", path, err)
	}
	return s, nil
}

// Save writes the state atomically (0600).
func (s State) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save update state: %w", err)
	}
	if err := config.WriteAtomic(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save update state: %w", err)
	}
	return nil
}

// WasRolledBack reports whether version failed once already.
func (s State) WasRolledBack(version string) bool { return slices.Contains(s.RolledBack, version) }
