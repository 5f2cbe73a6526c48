package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/mcp-gateway/mcp-gateway/hub/agents"
	"github.com/mcp-gateway/mcp-gateway/hub/auth"
	"github.com/mcp-gateway/mcp-gateway/hub/rbac"
	"github.com/mcp-gateway/mcp-gateway/hub/store"
	"github.com/mcp-gateway/mcp-gateway/shared/protocol"
)

// Agent is an enrolled agent and, when connected, its session.
type Agent struct {
	ID        string     `json:"id"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Connected bool       `json:"connected"`
	// LastSeen is when a hub last recorded holding the agent's tunnel: at its connection,
	// at its disconnection, and every minute between (so at most that old for a connected
	// agent, or for one whose hub died). Absent if it never connected.
	LastSeen *time.Time `json:"last_seen,omitempty"`
	// Hub is the id of the hub holding the agent's tunnel, in a cluster of hubs; the
	// session's details are shown by that hub only (another hub shows connected and hub).
	Hub     string        `json:"hub,omitempty"`
	Session *AgentSession `json:"session,omitempty"`
}

// AgentSession is a connected agent's tunnel.
type AgentSession struct {
	Version        string    `json:"version"`
	Capability     int       `json:"capability"`
	RemoteAddr     string    `json:"remote_addr"`
	KeyID          string    `json:"key_id"`
	ConnectedSince time.Time `json:"connected_since"`
	Backends       int       `json:"backends"`
	// Replacements counts newer connections that replaced older ones for this id since the
	// hub started; Fighting is set while two agents seem to share the id.
	Replacements int  `json:"replacements"`
	Fighting     bool `json:"fighting"`
}

func sessionView(s agents.AgentInfo) *AgentSession {
	return &AgentSession{Version: s.Version, Capability: s.Capability, RemoteAddr: s.RemoteAddr, KeyID: s.KeyID,
		ConnectedSince: s.ConnectedSince, Backends: s.Backends, Replacements: s.Replacements, Fighting: s.Fighting}
}

// EnrollAgentRequest is the body of POST /agents.
type EnrollAgentRequest struct {
	ID string `json:"id"`
}

// EnrolledAgent is the answer to POST /agents: the agent key, shown once.
type EnrolledAgent struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// RotatedAgentKey is the answer to POST /agents/{id}/rotate-key: the new key, shown once.
type RotatedAgentKey struct {
	ID    string `json:"id"`
	Key   string `json:"key"`
	KeyID string `json:"key_id"`
	// RevokedKeys counts the agent's keys revoked by the rotation.
	RevokedKeys int `json:"revoked_keys"`
	// Disconnected is set when the agent was connected with an old key and was cut off.
	Disconnected bool `json:"disconnected"`
}

func (a *API) agentRoutes() []route {
	return []route{
		{Method: "GET", Path: "/agents", Perm: rbac.AgentsRead, Tag: "agents",
			Summary: "List enrolled agents, whether they are connected and, in a cluster, the hub holding each", Result: List[Agent]{}, handle: a.listAgents},
		{Method: "POST", Path: "/agents", Perm: rbac.AgentsWrite, Tag: "agents",
			Summary: "Enroll an agent id; its key is in this response only", Body: EnrollAgentRequest{},
			Result: EnrolledAgent{}, Status: http.StatusCreated, handle: a.enrollAgent},
		{Method: "POST", Path: "/agents/{id}/rotate-key", Perm: rbac.AgentsWrite, Tag: "agents",
			Summary: "Issue a new key for an agent and revoke its old ones; the id and its tool names stay",
			Result:  RotatedAgentKey{}, handle: a.rotateAgentKey},
		{Method: "DELETE", Path: "/agents/{id}", Perm: rbac.AgentsWrite, Tag: "agents",
			Summary: "Revoke an agent and its keys, and disconnect it", Status: http.StatusNoContent, handle: a.revokeAgent},
	}
}

func (a *API) listAgents(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	list, err := a.d.Store.ListAgents(r.Context())
	if err != nil {
		return err
	}
	live := map[string]agents.AgentInfo{}
	if a.d.Agents != nil {
		for _, s := range a.d.Agents.List() {
			live[s.ID] = s
		}
	}
	// In a cluster, the agents other live hubs hold: the presence table (docs/SCALING.md).
	elsewhere := map[string]string{}
	if a.d.HubID != "" {
		rows, err := a.d.Store.LivePresence(r.Context())
		if err != nil {
			return err
		}
		for _, p := range rows {
			if p.HubID != a.d.HubID {
				elsewhere[p.AgentID] = p.HubID
			}
		}
	}
	out := List[Agent]{Items: make([]Agent, 0, len(list))}
	for _, ag := range list {
		v := Agent{ID: ag.ID, CreatedAt: ag.CreatedAt, RevokedAt: ag.RevokedAt, LastSeen: ag.LastSeenAt}
		if s, ok := live[ag.ID]; ok {
			v.Connected, v.Session, v.Hub = true, sessionView(s), a.d.HubID
		} else if hub, ok := elsewhere[ag.ID]; ok {
			v.Connected, v.Hub = true, hub
		}
		out.Items = append(out.Items, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) enrollAgent(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req EnrollAgentRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := auth.ValidAgentID(req.ID); err != nil {
		return invalid("%s", err.Error())
	}
	ag, key, err := auth.EnrollAgent(r.Context(), a.d.Store, req.ID)
	if errors.Is(err, store.ErrConflict) {
		return conflict("agent %q was revoked; enroll it under a new id", req.ID)
	}
	if err != nil {
		return err
	}
	a.refreshKeys(r.Context())
	a.record(r, c, "agents.enroll", ag.ID, nil)
	writeJSON(w, http.StatusCreated, EnrolledAgent{ID: ag.ID, Key: key})
	return nil
}

func (a *API) rotateAgentKey(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id := r.PathValue("id")
	if err := auth.ValidAgentID(id); err != nil {
		return invalid("%s", err.Error())
	}
	key, keyID, n, err := auth.RotateAgentKey(r.Context(), a.d.Store, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound("agent %q is not enrolled (mcp-gateway-hub agents enroll %s)", id, id)
	case errors.Is(err, store.ErrConflict):
		return conflict("agent %q was revoked; enroll it under a new id", id)
	case err != nil:
		return err
	}
	a.refreshKeys(r.Context())
	out := RotatedAgentKey{ID: id, Key: key, KeyID: keyID, RevokedKeys: n}
	if a.d.Agents != nil {
		for _, s := range a.d.Agents.List() {
			if s.ID == id && s.KeyID != keyID {
				out.Disconnected = a.d.Agents.Refuse(id, protocol.Refusal{Code: protocol.RefuseRevoked,
					Message: "this agent's key was rotated by " + c.Actor() + "; set the new key (MCPGW_API_KEY=… mcp-gateway-agent setup --hub URL)"})
			}
		}
	}
	a.record(r, c, "agents.rotate_key", id, map[string]string{"key": keyID})
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) revokeAgent(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id := r.PathValue("id")
	if err := a.d.Store.RevokeAgent(r.Context(), id); err != nil {
		return err
	}
	a.refreshKeys(r.Context())
	if a.d.Agents != nil {
		a.d.Agents.Refuse(id, protocol.Refusal{Code: protocol.RefuseRevoked, Message: "this agent was revoked by " + c.Actor()})
	}
	a.record(r, c, "agents.revoke", id, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
