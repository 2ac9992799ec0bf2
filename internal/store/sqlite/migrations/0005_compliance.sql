-- Vigil schema, version 5: compliance. Policies operators uploaded
-- (compliance_policies), their files zstd-compressed; which hosts evaluate
-- a policy, shipped or uploaded, and how often (compliance_assignments,
-- one per policy); accepted failures of checks until they expire
-- (compliance_exceptions); each host's score history per policy
-- (compliance_scores), at most one per host, policy and UTC day (day is
-- the number of days since the Unix epoch of at, in UTC). The results of
-- the checks themselves are inventory items of kind "compliance".

CREATE TABLE compliance_policies (
    id         TEXT PRIMARY KEY,
    version    TEXT NOT NULL DEFAULT '',
    digest     TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    format     TEXT NOT NULL,
    checks     INTEGER NOT NULL DEFAULT 0,
    content    BLOB NOT NULL,
    author     TEXT NOT NULL DEFAULT '',
    revision   INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE compliance_assignments (
    policy_id        TEXT PRIMARY KEY,
    selector         TEXT NOT NULL DEFAULT '{}',
    interval_seconds INTEGER NOT NULL DEFAULT 0,
    disabled         INTEGER NOT NULL DEFAULT 0,
    author           TEXT NOT NULL DEFAULT '',
    updated_at       INTEGER NOT NULL
);

CREATE TABLE compliance_exceptions (
    id         TEXT PRIMARY KEY,
    policy_id  TEXT NOT NULL,
    check_id   TEXT NOT NULL DEFAULT '',
    agent_id   TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL,
    expires_at INTEGER,
    author     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX compliance_exceptions_created ON compliance_exceptions (created_at, id);
CREATE INDEX compliance_exceptions_policy ON compliance_exceptions (policy_id, created_at, id);

CREATE TABLE compliance_scores (
    agent_id       TEXT NOT NULL,
    policy_id      TEXT NOT NULL,
    day            INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    passed         INTEGER NOT NULL,
    failed         INTEGER NOT NULL,
    errors         INTEGER NOT NULL,
    excepted       INTEGER NOT NULL,
    not_applicable INTEGER NOT NULL,
    score          REAL NOT NULL,
    PRIMARY KEY (agent_id, policy_id, day)
);
-- The listing order, newest first, across the fleet, of a host and of a
-- policy (the key serves a host's history of one policy).
CREATE INDEX compliance_scores_at ON compliance_scores (at, agent_id, policy_id);
CREATE INDEX compliance_scores_agent ON compliance_scores (agent_id, at, policy_id);
CREATE INDEX compliance_scores_policy ON compliance_scores (policy_id, at, agent_id);
