package oauth

import (
	"net/http"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

// Recorder takes audit events (*audit.Recorder).
type Recorder interface {
	Record(ev *store.AuditEvent) error
}

// Audit actions of the authorization server; all are events of kind login.
const (
	ActionAuthorize = "oauth.authorize" // a sign-in on the page that allowed a client, or failed
	ActionDeny      = "oauth.deny"      // the user denied a client
	ActionReuse     = "oauth.reuse"     // a code or refresh token used twice: its grant revoked
	ActionRevoke    = "oauth.revoke"    // a client revoked a grant (RFC 7009)
)

// record writes one event of kind login naming the user and the client (as the
// application); a failure to record is logged: the sign-in itself is not undone.
func (s *Server) record(r *http.Request, action, userID, userName, client, status, errMsg string) {
	if s.cfg.Audit == nil {
		return
	}
	now := s.now()
	ev := &store.AuditEvent{ID: audit.NewID(now), Time: now, Kind: store.AuditLogin, UserID: userID, Caller: userName,
		Application: client, Status: status, Action: action, Target: client, Error: errMsg,
		TraceID: audit.TraceID(r.Header.Get("Traceparent"))}
	if status != "ok" {
		ev.Decision = "deny"
	}
	if err := s.cfg.Audit.Record(ev); err != nil {
		s.log.Error("oauth: event not recorded in the audit trail", "action", action, "client_id", client, "err", err)
	}
}
