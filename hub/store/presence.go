package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Presence is one row of the presence table: which hub holds an agent's tunnel, when
// several hubs share one database (docs/SCALING.md).
type Presence struct {
	AgentID  string
	HubID    string
	HubURL   string // where other hubs reach the holder (its [cluster] url)
	Epoch    int64  // grows at each claim of the agent id, by any hub
	Instance string // the agent process (hello.instance), "" if it does not say
	Rev      int64  // grows at each write of Backends
	Backends string // the agent's backends, JSON of []protocol.Backend; "" from LivePresence
	Live     bool   // the lease has not expired (by the database's clock)
	// FoughtAt is the last time an agent process that a claim had pushed out came back and
	// took the id again (two processes share it); zero if never. GetPresence fills it.
	FoughtAt time.Time
}

// Claim is what ClaimAgent did.
type Claim struct {
	Epoch int64
	Prev  *Presence // the row as it was before; nil if there was none
	// Fought is set when this claim is an agent process taking the id back from the
	// process that had pushed it out within the fight memory: two agents share the id.
	Fought bool
}

// Presences stores the presence table. Leases are measured by the database's clock, so
// hubs whose clocks disagree still agree on who holds what.
type Presences interface {
	// ClaimAgent makes p.HubID the holder of p.AgentID with a lease of lease (newest wins:
	// any other holder loses it). A claim by another agent process (p.Instance) than the
	// live holder's is remembered for memory, cluster-wide: a process that was pushed out
	// and takes the id back within it is a fight (Claim.Fought, and FoughtAt in the row).
	ClaimAgent(ctx context.Context, p Presence, lease, memory time.Duration) (Claim, error)
	// SetAgentBackends replaces the backends of an agent held by hubID at epoch; false when
	// the hub no longer holds it at that epoch.
	SetAgentBackends(ctx context.Context, agentID, hubID string, epoch int64, backends string) (bool, error)
	// RenewAgents extends the lease of every agent hubID holds and returns them with their
	// epochs: an agent missing from the answer was claimed by another hub.
	RenewAgents(ctx context.Context, hubID string, lease time.Duration) (map[string]int64, error)
	// ReleaseAgent deletes the row if hubID still holds the agent at epoch.
	ReleaseAgent(ctx context.Context, agentID, hubID string, epoch int64) error
	// ReleaseHub deletes every row hubID holds (a hub that stops).
	ReleaseHub(ctx context.Context, hubID string) error
	// LivePresence lists the rows whose lease has not expired, without their backends.
	LivePresence(ctx context.Context) ([]Presence, error)
	// GetPresence returns one row with its backends (ErrNotFound if none), live or not.
	GetPresence(ctx context.Context, agentID string) (*Presence, error)
	// Broadcast tells every hub listening on this database (Listen) an event that is no
	// write: OnChange gets topic, a newline and body. PostgreSQL only (NOTIFY on the change
	// channel; body at most MaxBroadcast bytes); on SQLite, with one hub, it does nothing.
	Broadcast(ctx context.Context, topic, body string) error
}

// MaxBroadcast bounds a Broadcast's body: PostgreSQL refuses a NOTIFY payload of 8000
// bytes or more, and the schema and topic come first.
const MaxBroadcast = 7000

func (s *sqlStore) Broadcast(ctx context.Context, topic, body string) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	if len(body) > MaxBroadcast || strings.ContainsAny(topic, ".\n") {
		return fmt.Errorf("broadcast %q: body of %d bytes (at most %d) or a topic with '.' or a newline", topic, len(body), MaxBroadcast)
	}
	_, err := s.db.ExecContext(ctx, "SELECT pg_notify($1, current_schema() || '.' || $2)", ChangesChannel, topic+"\n"+body)
	return err
}

// nowMillis is the database's clock in Unix milliseconds.
func (s *sqlStore) nowMillis() string {
	if s.dialect == dialectPostgres {
		return "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}

const presenceColumns = "agent_id, hub_id, hub_url, epoch, instance, rev"

func scanPresence(row interface{ Scan(...any) error }, extra ...any) (*Presence, error) {
	var p Presence
	if err := row.Scan(append([]any{&p.AgentID, &p.HubID, &p.HubURL, &p.Epoch, &p.Instance, &p.Rev}, extra...)...); err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *sqlStore) ClaimAgent(ctx context.Context, p Presence, lease, memory time.Duration) (Claim, error) {
	var c Claim
	if p.AgentID == "" || p.HubID == "" {
		return c, errors.New("claim agent: agent id and hub id are required")
	}
	if p.Backends == "" {
		p.Backends = "[]"
	}
	fail := func(err error) (Claim, error) {
		return Claim{}, fmt.Errorf("claim agent %q: %w", p.AgentID, mapErr(err))
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	lock := ""
	if s.dialect == dialectPostgres {
		lock = " FOR UPDATE"
	}
	var now int64
	if err := tx.QueryRowContext(ctx, "SELECT "+s.nowMillis()).Scan(&now); err != nil {
		return fail(err)
	}
	var live bool
	var goneJSON string
	var fought int64
	prev, err := scanPresence(tx.QueryRowContext(ctx, s.q("SELECT "+presenceColumns+", lease_until > "+s.nowMillis()+
		", gone, fought_at FROM agent_presence WHERE agent_id = ?"+lock), p.AgentID), &live, &goneJSON, &fought)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		prev = nil
	case err != nil:
		return fail(err)
	default:
		prev.Live = live
	}
	gone := map[string]int64{}
	if prev != nil {
		_ = json.Unmarshal([]byte(goneJSON), &gone) // a bad value forgets the history, nothing more
		if live && prev.Instance != "" && p.Instance != "" && prev.Instance != p.Instance {
			if at, ok := gone[p.Instance]; ok && now-at <= memory.Milliseconds() {
				fought, c.Fought = now, true
			}
			gone[prev.Instance] = now
		}
		for inst, at := range gone {
			if now-at > memory.Milliseconds() {
				delete(gone, inst)
			}
		}
	}
	goneOut, _ := json.Marshal(gone)
	err = tx.QueryRowContext(ctx, s.q("INSERT INTO agent_presence (agent_id, hub_id, hub_url, epoch, instance, lease_until, rev, backends, gone, fought_at)"+
		" VALUES (?, ?, ?, 1, ?, ?, 1, ?, ?, ?)"+
		" ON CONFLICT (agent_id) DO UPDATE SET hub_id = excluded.hub_id, hub_url = excluded.hub_url,"+
		" epoch = agent_presence.epoch + 1, instance = excluded.instance, lease_until = excluded.lease_until,"+
		" rev = agent_presence.rev + 1, backends = excluded.backends, gone = excluded.gone, fought_at = excluded.fought_at RETURNING epoch"),
		p.AgentID, p.HubID, p.HubURL, p.Instance, now+lease.Milliseconds(), p.Backends, string(goneOut), fought).Scan(&c.Epoch)
	if err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	c.Prev = prev
	return c, nil
}

func (s *sqlStore) SetAgentBackends(ctx context.Context, agentID, hubID string, epoch int64, backends string) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE agent_presence SET backends = ?, rev = rev + 1 WHERE agent_id = ? AND hub_id = ? AND epoch = ?"),
		backends, agentID, hubID, epoch)
	if err != nil {
		return false, fmt.Errorf("set backends of agent %q: %w", agentID, mapErr(err))
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *sqlStore) RenewAgents(ctx context.Context, hubID string, lease time.Duration) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, s.q("UPDATE agent_presence SET lease_until = "+s.nowMillis()+" + ? WHERE hub_id = ? RETURNING agent_id, epoch"),
		lease.Milliseconds(), hubID)
	if err != nil {
		return nil, fmt.Errorf("renew leases of hub %q: %w", hubID, mapErr(err))
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var epoch int64
		if err := rows.Scan(&id, &epoch); err != nil {
			return nil, fmt.Errorf("renew leases of hub %q: %w", hubID, err)
		}
		out[id] = epoch
	}
	return out, rows.Err()
}

func (s *sqlStore) ReleaseAgent(ctx context.Context, agentID, hubID string, epoch int64) error {
	_, err := s.db.ExecContext(ctx, s.q("DELETE FROM agent_presence WHERE agent_id = ? AND hub_id = ? AND epoch = ?"), agentID, hubID, epoch)
	if err != nil {
		return fmt.Errorf("release agent %q: %w", agentID, mapErr(err))
	}
	return nil
}

func (s *sqlStore) ReleaseHub(ctx context.Context, hubID string) error {
	_, err := s.db.ExecContext(ctx, s.q("DELETE FROM agent_presence WHERE hub_id = ?"), hubID)
	if err != nil {
		return fmt.Errorf("release agents of hub %q: %w", hubID, mapErr(err))
	}
	return nil
}

func (s *sqlStore) LivePresence(ctx context.Context) ([]Presence, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+presenceColumns+" FROM agent_presence WHERE lease_until > "+s.nowMillis()+" ORDER BY agent_id")
	if err != nil {
		return nil, fmt.Errorf("list presence: %w", mapErr(err))
	}
	defer rows.Close()
	var out []Presence
	for rows.Next() {
		p, err := scanPresence(rows)
		if err != nil {
			return nil, fmt.Errorf("list presence: %w", err)
		}
		p.Live = true
		out = append(out, *p)
	}
	return out, rows.Err()
}

func (s *sqlStore) GetPresence(ctx context.Context, agentID string) (*Presence, error) {
	var backends string
	var live bool
	var fought int64
	p, err := scanPresence(s.db.QueryRowContext(ctx, s.q("SELECT "+presenceColumns+", backends, lease_until > "+s.nowMillis()+
		", fought_at FROM agent_presence WHERE agent_id = ?"), agentID), &backends, &live, &fought)
	if err != nil {
		return nil, fmt.Errorf("get presence of agent %q: %w", agentID, mapErr(err))
	}
	p.Backends, p.Live = backends, live
	if fought > 0 {
		p.FoughtAt = time.UnixMilli(fought)
	}
	return p, nil
}
