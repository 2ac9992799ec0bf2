-- Vigil schema, version 1. Times are microseconds since the Unix epoch
-- (NULL for "never"); maps and lists are JSON text.

CREATE TABLE agents (
    id                TEXT PRIMARY KEY,
    hostname          TEXT NOT NULL,
    status            TEXT NOT NULL,
    status_reason     TEXT NOT NULL DEFAULT '',
    status_changed_at INTEGER,
    last_seen         INTEGER,
    enrolled_at       INTEGER,
    labels            TEXT NOT NULL DEFAULT '{}',
    os                TEXT NOT NULL DEFAULT '',
    platform          TEXT NOT NULL DEFAULT '',
    platform_version  TEXT NOT NULL DEFAULT '',
    kernel            TEXT NOT NULL DEFAULT '',
    arch              TEXT NOT NULL DEFAULT '',
    ips               TEXT NOT NULL DEFAULT '[]',
    boot_time         INTEGER,
    agent_version     TEXT NOT NULL DEFAULT '',
    machine_id        TEXT NOT NULL DEFAULT '',
    user_key          TEXT NOT NULL DEFAULT '',
    join_token_id     TEXT NOT NULL DEFAULT '',
    last_state        BLOB,
    search            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agents_hostname ON agents (hostname, id);
CREATE INDEX agents_status ON agents (status);

CREATE TABLE agent_labels (
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (agent_id, key)
);
CREATE INDEX agent_labels_key_value ON agent_labels (key, value);

CREATE TABLE agent_status_history (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id    TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX agent_status_history_agent ON agent_status_history (agent_id, seq);

CREATE TABLE join_tokens (
    id          TEXT PRIMARY KEY,
    secret_hash BLOB NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    labels      TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    expires_at  INTEGER,
    usage_limit INTEGER NOT NULL DEFAULT 0,
    uses        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX join_tokens_created ON join_tokens (created_at, id);

CREATE TABLE events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    agent_id TEXT NOT NULL,
    ts       INTEGER NOT NULL,
    category TEXT NOT NULL,
    action   TEXT NOT NULL,
    text_lc  TEXT NOT NULL,
    doc      TEXT NOT NULL
);
CREATE INDEX events_agent ON events (agent_id, seq);
CREATE INDEX events_ts ON events (ts);

CREATE TABLE alerts (
    id          TEXT PRIMARY KEY,
    agent_id    TEXT NOT NULL,
    hostname    TEXT NOT NULL DEFAULT '',
    rule_id     TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    severity    TEXT NOT NULL,
    state       TEXT NOT NULL,
    techniques  TEXT NOT NULL DEFAULT '[]',
    dedup_key   TEXT NOT NULL DEFAULT '',
    count       INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    evidence    TEXT,
    event_ids   TEXT NOT NULL DEFAULT '[]',
    comments    TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX alerts_created ON alerts (created_at, id);
CREATE INDEX alerts_agent ON alerts (agent_id, created_at);
CREATE UNIQUE INDEX alerts_open_dedup ON alerts (dedup_key)
    WHERE dedup_key <> '' AND state IN ('new', 'acknowledged');

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    user_id      TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_created ON api_tokens (created_at, id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    role      TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    target    TEXT NOT NULL DEFAULT '',
    result    TEXT NOT NULL,
    detail    TEXT,
    source_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE agent_policies (
    name       TEXT PRIMARY KEY,
    selector   TEXT NOT NULL DEFAULT '{}',
    priority   INTEGER NOT NULL DEFAULT 0,
    spec       TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);
