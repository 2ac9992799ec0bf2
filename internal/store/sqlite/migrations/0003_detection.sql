-- Vigil schema, version 3: detection. Imported Sigma rule files
-- (rule_files) and operators' rule settings (rule_settings); exceptions
-- (allow-list entries); incidents grouping alerts by the entities they
-- share (incident_entities, bounded per incident) and the hosts involved
-- (incident_agents); each alert's incident; small state blobs of center
-- services (service_state). Entities, agents, hostnames, techniques and
-- rules of an incident are also kept as JSON lists in their order of
-- arrival; the tables beside them serve lookups.

CREATE TABLE rule_files (
    name       TEXT PRIMARY KEY,
    content    BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    author     TEXT NOT NULL DEFAULT '',
    revision   INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE rule_settings (
    rule_id    TEXT PRIMARY KEY,
    disabled   INTEGER NOT NULL DEFAULT 0,
    severity   TEXT NOT NULL DEFAULT '',
    author     TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE exceptions (
    id         TEXT PRIMARY KEY,
    rule_id    TEXT NOT NULL DEFAULT '',
    agent_id   TEXT NOT NULL DEFAULT '',
    match      TEXT NOT NULL DEFAULT '{}',
    reason     TEXT NOT NULL DEFAULT '',
    author     TEXT NOT NULL DEFAULT '',
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    hits       INTEGER NOT NULL DEFAULT 0,
    last_hit   INTEGER
);
CREATE INDEX exceptions_created ON exceptions (created_at, id);
CREATE INDEX exceptions_rule ON exceptions (rule_id, created_at, id);

CREATE TABLE incidents (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    state       TEXT NOT NULL,
    agent_ids   TEXT NOT NULL DEFAULT '[]',
    hostnames   TEXT NOT NULL DEFAULT '[]',
    techniques  TEXT NOT NULL DEFAULT '[]',
    rule_ids    TEXT NOT NULL DEFAULT '[]',
    entities    TEXT NOT NULL DEFAULT '[]',
    alert_count INTEGER NOT NULL DEFAULT 0,
    assignee    TEXT NOT NULL DEFAULT '',
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    comments    TEXT NOT NULL DEFAULT '[]'
);
-- Listings are most recently seen first; the state index serves the
-- state filter in that order.
CREATE INDEX incidents_last_seen ON incidents (last_seen, id);
CREATE INDEX incidents_state ON incidents (state, last_seen, id);

CREATE TABLE incident_entities (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (incident_id, kind, value)
);
-- Attach looks entities up by (kind, value); the index covers the incident.
CREATE INDEX incident_entities_entity ON incident_entities (kind, value, incident_id);

CREATE TABLE incident_agents (
    incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    agent_id    TEXT NOT NULL,
    PRIMARY KEY (incident_id, agent_id)
);
CREATE INDEX incident_agents_agent ON incident_agents (agent_id, incident_id);

ALTER TABLE alerts ADD COLUMN incident_id TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_incident ON alerts (incident_id, created_at, id);

CREATE TABLE service_state (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
