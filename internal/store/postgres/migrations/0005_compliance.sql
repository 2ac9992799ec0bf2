-- Vigil schema, version 5: compliance. Policies operators uploaded
-- (compliance_policies), their files zstd-compressed; which hosts evaluate
-- a policy, shipped or uploaded, and how often (compliance_assignments,
-- one per policy); accepted failures of checks until they expire
-- (compliance_exceptions); each host's score history per policy
-- (compliance_scores), at most one per host, policy and UTC day (day is
-- the number of days since the Unix epoch of at, in UTC). The results of
-- the checks themselves are inventory items of kind "compliance".
-- Identifying columns use the "C" collation: listings are in byte order,
-- as on SQLite.

CREATE TABLE compliance_policies (
    id         TEXT COLLATE "C" PRIMARY KEY,
    version    TEXT NOT NULL DEFAULT '',
    digest     TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    format     TEXT NOT NULL,
    checks     BIGINT NOT NULL DEFAULT 0,
    content    BYTEA NOT NULL,
    author     TEXT NOT NULL DEFAULT '',
    revision   BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE compliance_assignments (
    policy_id        TEXT COLLATE "C" PRIMARY KEY,
    selector         TEXT NOT NULL DEFAULT '{}',
    interval_seconds BIGINT NOT NULL DEFAULT 0,
    disabled         BOOLEAN NOT NULL DEFAULT FALSE,
    author           TEXT NOT NULL DEFAULT '',
    updated_at       BIGINT NOT NULL
);

CREATE TABLE compliance_exceptions (
    id         TEXT COLLATE "C" PRIMARY KEY,
    policy_id  TEXT COLLATE "C" NOT NULL,
    check_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    agent_id   TEXT COLLATE "C" NOT NULL DEFAULT '',
    reason     TEXT NOT NULL,
    expires_at BIGINT,
    author     TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX compliance_exceptions_created ON compliance_exceptions (created_at, id);
CREATE INDEX compliance_exceptions_policy ON compliance_exceptions (policy_id, created_at, id);

CREATE TABLE compliance_scores (
    agent_id       TEXT COLLATE "C" NOT NULL,
    policy_id      TEXT COLLATE "C" NOT NULL,
    day            BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    passed         BIGINT NOT NULL,
    failed         BIGINT NOT NULL,
    errors         BIGINT NOT NULL,
    excepted       BIGINT NOT NULL,
    not_applicable BIGINT NOT NULL,
    score          DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (agent_id, policy_id, day)
);
-- The listing order, newest first, across the fleet, of a host and of a
-- policy (the key serves a host's history of one policy).
CREATE INDEX compliance_scores_at ON compliance_scores (at, agent_id, policy_id);
CREATE INDEX compliance_scores_agent ON compliance_scores (agent_id, at, policy_id);
CREATE INDEX compliance_scores_policy ON compliance_scores (policy_id, at, agent_id);
