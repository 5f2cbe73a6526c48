package server

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/gateway"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
)

// govern opens the audit trail (replaying what a crash left in its journal), the tool
// registry and the role authorizer, and installs them in the gateway.
func (s *Server) govern(ctx context.Context) error {
	a := s.cfg.Audit
	rec, err := audit.Open(ctx, audit.Config{
		Dir: filepath.Join(s.cfg.DataDir, "audit"), Store: s.Store, QueueSize: a.QueueSize, Drop: a.Drop(),
		AllowUnjournaled: a.AllowUnjournaled(),
		Fsync:            a.Fsync, RetainFor: a.RetainFor.Duration, MaxPayloadBytes: a.MaxPayloadBytes,
		RedactKeys: a.RedactKeys, RedactPatterns: a.RedactPatterns,
	}, s.log.With("component", "audit"))
	if err != nil {
		return fmt.Errorf("open audit trail: %w", err)
	}
	s.Audit = rec
	s.Tools = tools.New(s.Store, tools.Options{Logger: s.log.With("component", "tools"), Tables: s.Router, OnEvent: s.toolEvent})
	if err := s.Tools.Load(ctx); err != nil {
		rec.Close()
		return err
	}
	s.RBAC = rbac.New(s.Store, s.log.With("component", "rbac"))
	if err := s.RBAC.Refresh(ctx); err != nil {
		rec.Close()
		return fmt.Errorf("load roles: %w", err)
	}
	s.newMetrics()
	s.GW.SetGovernance(gateway.Governance{Tools: s.Tools, RBAC: s.RBAC, Audit: rec,
		Observe: s.Metrics.Observe})
	return nil
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
