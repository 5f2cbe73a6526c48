package gateway

import (
	"errors"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/audit"
	"github.com/mcp-gateway/mcp-gateway/hub/checks"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/hub/tools"
	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// Authorizer answers RBAC questions from memory. *rbac.Authorizer implements it.
type Authorizer = checks.Authorizer

// Auditor records events durably before the response leaves. *audit.Recorder implements it.
type Auditor interface {
	// Admit reports whether a new call may start: it fails when the audit backlog is full.
	Admit() error
	// Record stores the event durably (against a crash of the hub) before it returns.
	Record(ev *store.AuditEvent) error
	// Payload returns the hash of a request or a response as it came, and its redacted form.
	Payload(raw []byte) (hash, redacted string)
}

// Governance is what decides and records tool calls besides the policy. Nil members are off:
// no RBAC, no audit. Tools nil uses an in-memory registry (risk classification and the
// poisoning scan, no pins).
type Governance struct {
	Tools *tools.Registry
	RBAC  Authorizer
	Audit Auditor
	// Observe sees every call's and refusal's event after it is recorded (metrics).
	Observe func(ev *store.AuditEvent)
}

// SetGovernance installs the governance chain. Call it before serving.
func (g *Gateway) SetGovernance(gov Governance) {
	if gov.Tools == nil {
		gov.Tools = tools.New(nil, tools.Options{Logger: g.log, NoAutoPin: true, Tables: g.tables})
	}
	g.gov = gov
}

// UnknownLabel stands for the name of a call to a tool, prompt or resource that routes
// nowhere in what the gateway reports to Observe (metrics); the audit event has the name.
const UnknownLabel = "(unknown)"

// refusal is the JSON-RPC error for a call refused by governance. The code is the policy's
// for every kind of refusal so that clients need to know one; data.by says which part
// refused (policy, rbac, disabled, quarantine) and data.rule which policy rule, if any.
func refusal(id jsonrpc.ID, by, rule, reason string) *jsonrpc.Response {
	label := by
	if rule != "" {
		label = "policy rule " + rule
	} else {
		rule = by
	}
	return mcp.ErrorResponse(id, codePolicyDenied, reason+" ("+label+")", map[string]string{"by": by, "rule": rule, "reason": reason})
}

// overlapAuditBytes is the size of params from which the audit's work on the request (its
// hash, and its redaction: ≈ 4 µs per KiB) runs beside the backend call instead of after
// it, so that it is off the call's latency. Below it the goroutine is not worth its start.
const overlapAuditBytes = 8 << 10

// requestAudit is the audit's work on a request, done on a goroutine of its own.
type requestAudit struct {
	done           chan struct{} // closed when hash and redacted are set
	hash, redacted string
}

// auditRequestAhead starts hashing and redacting the request's params, which nothing
// changes while the call runs (the backend gets a rewritten copy). auditEvent waits for it.
func (g *Gateway) auditRequestAhead(params []byte) *requestAudit {
	pre := &requestAudit{done: make(chan struct{})}
	go func() {
		defer close(pre.done)
		pre.hash, pre.redacted = g.gov.Audit.Payload(params)
	}()
	return pre
}

// auditEvent builds the event of a call with its outcome.
func (g *Gateway) auditEvent(k *call, resp *jsonrpc.Response) *store.AuditEvent {
	c, req := k.c, k.req
	ev := &store.AuditEvent{
		Time: k.start, Kind: "call", UserID: c.identity.UserID, KeyID: c.identity.KeyID, Caller: c.identity.Name,
		Role: c.identity.Role, Application: c.identity.Application, Agent: k.tgt.Agent, Backend: k.tgt.Backend,
		Tool: k.name, Risk: k.risk, Decision: k.decision, Rule: k.rule, Action: req.Method,
		Duration: time.Since(k.start), TraceID: c.auditTraceID(), Status: "ok",
	}
	if c.group != nil {
		// The endpoint a call came through: a group name is [a-z0-9_-], no escaping needed.
		ev.Detail = `{"group":"` + c.group.Spec.Name + `"}`
	}
	var result []byte
	switch {
	case resp == nil:
		ev.Status = "error"
	case resp.Error != nil:
		ev.Status, ev.Error = "error", resp.Error.Error()
		var we *jsonrpc.Error
		if errors.As(resp.Error, &we) {
			ev.Error = we.Message
			if we.Code == codePolicyDenied {
				ev.Kind, ev.Status, ev.Decision = "denied", "denied", "deny"
			}
		}
	default:
		result = resp.Result
		if isToolError(resp.Result) {
			ev.Status = "error"
		}
	}
	if g.gov.Audit != nil {
		ev.ResponseHash, ev.Response = g.gov.Audit.Payload(result)
		if k.pre != nil {
			<-k.pre.done
			ev.RequestHash, ev.Request = k.pre.hash, k.pre.redacted
		} else {
			ev.RequestHash, ev.Request = g.gov.Audit.Payload(req.Params)
		}
	}
	return ev
}

// record writes the call's audit event. When the event cannot be recorded the client gets an
// error instead of the result: a call that returned is never missing from the trail.
func (g *Gateway) record(k *call, resp *jsonrpc.Response) *jsonrpc.Response {
	if g.gov.Audit == nil && g.gov.Observe == nil {
		return resp
	}
	sp := k.c.tr.stage("audit.record")
	defer endStage(sp)
	req := k.req
	ev := g.auditEvent(k, resp)
	if g.gov.Audit != nil {
		switch err := g.gov.Audit.Record(ev); {
		case err == nil:
		case errors.Is(err, audit.ErrUnaudited):
			// [audit] on_failure = "allow": the operator chose availability; the recorder
			// counts the lost event and logs the journal's failure once.
		case k.unknown: // nothing ran: the client's answer stands
			if !errors.Is(err, audit.ErrJournal) { // the recorder logs journal failures once
				g.log.Debug("audit record of a call to an unknown name failed", "method", req.Method, "err", err)
			}
		default:
			msg := err.Error()
			if errors.Is(err, audit.ErrJournal) { // logged once by the recorder; no paths to clients
				msg = audit.ErrJournal.Error()
			} else {
				g.log.Error("audit record failed; the result is withheld", "method", req.Method, "name", k.name, "err", err)
			}
			resp = errorResponse(req.ID, codeInternal, "the call ran but its audit event could not be recorded: "+msg)
			ev.Status, ev.Error = "error", "audit record failed"
		}
	}
	if g.gov.Observe != nil {
		if k.unknown { // a name the client made up must not become a metric label
			obs := *ev
			obs.Tool = UnknownLabel
			g.gov.Observe(&obs)
		} else {
			g.gov.Observe(ev)
		}
	}
	return resp
}

// isToolError reports a tools/call result with isError true, cheaply.
func isToolError(res []byte) bool {
	v, ok := mcp.Field(res, "isError")
	return ok && string(v) == "true"
}
