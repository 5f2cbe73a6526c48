-- Presence of agents across several hubs on one database (docs/SCALING.md): which hub holds
-- each agent's tunnel. epoch grows at each claim, so a hub that lost an agent to another
-- notices at its next renewal; lease_until is in Unix milliseconds of the database's clock;
-- rev grows at each write of backends (the agent's backend list as protocol.Backend JSON)
-- so other hubs reread only what changed; instance is the agent process (hello.instance).
-- gone (JSON: instance → Unix ms) remembers the agent processes a claim pushed out, and
-- fought_at when one of them came back to take the id again: two processes share the id.

CREATE TABLE agent_presence (
    agent_id    TEXT PRIMARY KEY,
    hub_id      TEXT NOT NULL,
    hub_url     TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    instance    TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    rev         BIGINT NOT NULL,
    backends    TEXT NOT NULL,
    gone        TEXT NOT NULL,
    fought_at   BIGINT NOT NULL
);

CREATE INDEX agent_presence_hub ON agent_presence (hub_id);

-- A claim (hub_id, epoch) or new backends (rev) tell the other hubs at once (migration 0006's
-- channel, topic "presence"); lease renewals (lease_until only) do not.
CREATE TRIGGER agent_presence_notify AFTER INSERT OR DELETE OR UPDATE OF hub_id, epoch, rev ON agent_presence
    FOR EACH STATEMENT EXECUTE FUNCTION mcpgw_notify_change('presence');
