-- The audit table, cheaper per row: (at, id) becomes the primary key, and the separate id
-- key and (at, id) index go. (at, id) orders every page of the audit view and retention,
-- and keeps a replayed journal idempotent (a replayed event has its id and its time; ids are
-- unique, so (at, id) is too). Nothing looks an event up by id alone. One index fewer per
-- row; the SQLite table gets the same key.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
DROP INDEX audit_events_at;
ALTER TABLE audit_events ADD PRIMARY KEY (at, id);
-- The trace index is no longer partial (it was WHERE trace_id <> ''), as on SQLite, where a
-- partial index is not used for a lookup by a bound parameter. Every call has a trace id.
DROP INDEX audit_events_trace;
CREATE INDEX audit_events_trace ON audit_events (trace_id);
