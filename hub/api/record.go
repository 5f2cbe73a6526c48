package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
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
		a.log.Info("api: admin change (no audit recorder)", "action", action, "target", target, "by", c.Actor(), "key", c.Credential())
		return
	}
	now := a.d.Now()
	ev := &store.AuditEvent{ID: audit.NewID(now), Time: now, Kind: store.AuditAdmin, UserID: c.UserID, KeyID: c.Credential(),
		Caller: c.Name, Role: c.Role, Application: c.Application, Status: "ok", Action: action, Target: target,
		TraceID: audit.TraceID(r.Header.Get("Traceparent"))}
	if detail != nil {
		if raw, err := json.Marshal(detail); err == nil {
			ev.Detail = string(raw)
		}
	}
	if err := a.d.Audit.Record(ev); err != nil {
		// The change is made; losing its record is an operational alarm, not a client error.
		a.log.Error("api: admin change made but its audit event was not recorded", "action", action, "target", target, "by", c.Actor(), "key", c.Credential(), "err", err)
	}
}

// recordScopeDenied audits a key refused because its scope does not cover the REST API.
func (a *API) recordScopeDenied(r *http.Request, id auth.Identity) {
	if a.d.Audit == nil {
		a.log.Info("api: key refused by its scope", "key", id.KeyID, "scope", id.Scope, "path", r.URL.Path)
		return
	}
	now := a.d.Now()
	ev := &store.AuditEvent{ID: audit.NewID(now), Time: now, Kind: store.AuditDenied, UserID: id.UserID, KeyID: id.KeyID,
		Caller: id.Name, Role: id.Role, Application: id.Application, Status: "denied", Decision: "deny", Rule: "key_scope",
		Action: r.Method + " " + r.URL.Path, Error: "key scope " + id.Scope + " does not include the REST API",
		TraceID: audit.TraceID(r.Header.Get("Traceparent"))}
	if err := a.d.Audit.Record(ev); err != nil {
		a.log.Warn("api: a key refused by its scope was not audited", "key", id.KeyID, "err", err)
	}
}

// syncAudit lets a query see the events recorded just before it (read your writes): it waits
// up to AuditSyncWait for the recorder to store them. A store that lags longer is queried as
// it is, and the wait is logged.
func (a *API) syncAudit(r *http.Request) {
	s, ok := a.d.Audit.(interface{ Sync(context.Context) error })
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), AuditSyncWait)
	defer cancel()
	if err := s.Sync(ctx); err != nil {
		a.log.Warn("api: audit query runs before the store caught up with the trail", "err", err)
	}
}

// AuditSyncWait bounds how long an audit or usage query waits for recent events.
const AuditSyncWait = 2 * time.Second
