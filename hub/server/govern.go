package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

// govern opens the audit trail (replaying what a crash left in its journal), the tool
// registry and the role authorizer, and installs them in the gateway.
func (s *Server) govern(ctx context.Context) error {
	rec, err := s.openAudit(ctx)
	if err != nil {
		return err
	}
	s.Audit = rec
	s.Tools = tools.New(s.Store, tools.Options{Logger: s.log.With("component", "tools"), Tables: s.Router, OnEvent: s.toolEvent})
	// Read in the background: the first tools index waits for it, /readyz does not
	// (bench/coldstart: 50,000 states took most of a cold start).
	s.Tools.LoadInBackground(ctx, time.Second)
	s.RBAC = rbac.New(s.Store, s.log.With("component", "rbac"))
	if err := s.RBAC.Refresh(ctx); err != nil {
		rec.Close()
		return fmt.Errorf("load roles: %w", err)
	}
	// A key with a role of its own acts with it only while its user's role covers it.
	s.Keys.SetRoleCeiling(s.RBAC)
	s.newMetrics()
	s.GW.SetGovernance(gateway.Governance{Tools: s.Tools, RBAC: s.RBAC, Audit: rec,
		Observe: s.Metrics.Observe})
	return nil
}

// MaxJournals is how many hubs on one PostgreSQL database can share a data directory: each
// takes the first journal not held by another (audit, audit.2, … audit.16).
const MaxJournals = 16

// openAudit opens the audit trail on the data directory's journal. One hub holds a journal
// at a time (a lock in it). On PostgreSQL, where several hubs share the database and may
// well share a data directory (one host, one user), a hub whose journal another holds
// takes the next free one; whichever hub opens a journal later replays what it holds into
// the same database, so nothing is lost whichever hub restarts. On SQLite the database is
// in the data directory and belongs to one hub: a second hub there is refused, saying so.
func (s *Server) openAudit(ctx context.Context) (*audit.Recorder, error) {
	a := s.cfg.Audit
	cfg := audit.Config{
		Store: s.Store, QueueSize: a.QueueSize, Drop: a.Drop(),
		AllowUnjournaled: a.AllowUnjournaled(),
		Fsync:            a.Fsync, RetainFor: a.RetainFor.Duration, MaxPayloadBytes: a.MaxPayloadBytes,
		RedactKeys: a.RedactKeys, RedactPatterns: a.RedactPatterns,
	}
	log := s.log.With("component", "audit")
	shared := s.Store.Dialect() == "postgres"
	for i := 1; ; i++ {
		cfg.Dir = filepath.Join(s.cfg.DataDir, "audit")
		if i > 1 {
			cfg.Dir += "." + strconv.Itoa(i)
		}
		rec, err := audit.Open(ctx, cfg, log)
		switch {
		case err == nil:
			if i > 1 {
				s.log.Info("another hub holds this data directory's first audit journal; using the next free one", "journal", cfg.Dir)
			}
			return rec, nil
		case !errors.Is(err, audit.ErrJournalInUse):
			return nil, fmt.Errorf("open audit trail: %w", err)
		case !shared:
			return nil, fmt.Errorf("open audit trail: another hub is running with data_dir %s (it holds the audit journal %s):"+
				" on SQLite the database is in the data directory and serves one hub; stop the other hub,"+
				" or give this one its own data_dir (--data-dir, MCPGW_DATA_DIR) and database: %w", s.cfg.DataDir, cfg.Dir, err)
		case i == MaxJournals:
			return nil, fmt.Errorf("open audit trail: %d hubs already run with data_dir %s (each holds one of its audit journals);"+
				" give this hub its own data_dir (--data-dir, MCPGW_DATA_DIR): %w", MaxJournals, s.cfg.DataDir, err)
		}
	}
}

// toolEvent audits an integrity change the registry made on its own: a tool pinned at first
// sight, quarantined by the scanner, or quarantined again because its definition changed.
func (s *Server) toolEvent(ev tools.Event) {
	detail, _ := json.Marshal(map[string]any{
		"reason": ev.Reason, "old_hash": ev.OldHash, "new_hash": ev.NewHash, "findings": ev.Tool.Findings,
		"tool": ev.Tool.Tool, "alias": ev.Tool.Alias,
	})
	e := &store.AuditEvent{
		Kind: "integrity", Action: "tool." + ev.Kind, Agent: ev.Tool.Agent, Backend: ev.Tool.Backend,
		Tool: ev.Tool.Name, Risk: ev.Tool.Risk, Target: ev.Tool.Name, Detail: string(detail), Status: "ok",
	}
	if ev.Kind != "pinned" {
		e.Decision = "deny"
	}
	if err := s.Audit.Record(e); err != nil {
		s.log.Error("audit: integrity event not recorded", "tool", ev.Tool.Name, "event", ev.Kind, "err", err)
	}
}
