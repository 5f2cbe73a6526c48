package api

import (
	"encoding/json"
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Recorder keeps the audit trail (*audit.Recorder).
type Recorder interface {
	// Admit fails when the audit backlog is full; writes are then refused (503) rather
	// than made without a record.
	Admit() error
	Record(ev *store.AuditEvent) error
}

// admit refuses a write up front when its audit event could not be recorded.
func (a *API) admit() error {
	if a.d.Audit == nil {
		return nil
	}
	if err := a.d.Audit.Admit(); err != nil {
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "the audit trail is full, so changes are refused until it drains: %v", err)
	}
	return nil
}

// record writes the admin event of a successful write, before the response is sent.
func (a *API) record(r *http.Request, c *Caller, action, target string, detail any) {
	if a.d.Audit == nil {
		a.log.Info("api: admin change (no audit recorder)", "action", action, "target", target, "by", c.Actor())
		return
	}
	now := a.d.Now()
	ev := &store.AuditEvent{ID: audit.NewID(now), Time: now, Kind: store.AuditAdmin, UserID: c.UserID, KeyID: c.KeyID,
		Caller: c.Name, Role: c.Role, Application: c.Application, Status: "ok", Action: action, Target: target,
		TraceID: audit.TraceID(r.Header.Get("Traceparent"))}
	if detail != nil {
		if raw, err := json.Marshal(detail); err == nil {
			ev.Detail = string(raw)
		}
	}
	if err := a.d.Audit.Record(ev); err != nil {
		// The change is made; losing its record is an operational alarm, not a client error.
		a.log.Error("api: admin change made but its audit event was not recorded", "action", action, "target", target, "by", c.Actor(), "err", err)
	}
}
