-- Vigil schema, version 8: threat intelligence and behaviour baselines.
--
-- intel_indicators holds the indicators of compromise operators import or
-- add, one per type, value and source (id is a digest of the three).
-- tags and techniques are JSON lists of text. value_fold and
-- description_fold are the case-folded value and description that free
-- text is matched against, NULL where the text is its own fold. expires_at
-- is when the indicator stops matching (NULL: never); hits counts the
-- events it matched and last_hit_at is the latest of them (NULL: none).
-- The listing order is type, value, source: the key serves it across the
-- whole set and for one type, the source index for one source.
--
-- intel_revision is a single row whose revision grows in the transaction
-- of every change of the indicators (not with their hits), so that
-- matchers know when to reload them.
--
-- login_profiles holds what was learned of each host's users' logins, one
-- per agent and user: the first and last login, their number, their count
-- per hour of the day (hours, a JSON list of 24 counts) and the addresses
-- they came from (sources, a JSON list of objects whose times are
-- microseconds since the epoch). revision counts the writes of a profile.
-- Identifying columns use the "C" collation: listings are in byte order,
-- as on SQLite (value_fold too, so that it goes with value in COALESCE).

CREATE TABLE intel_indicators (
    id               TEXT COLLATE "C" PRIMARY KEY,
    type             TEXT COLLATE "C" NOT NULL,
    value            TEXT COLLATE "C" NOT NULL,
    source           TEXT COLLATE "C" NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    severity         TEXT NOT NULL,
    confidence       BIGINT NOT NULL,
    tags             TEXT NOT NULL DEFAULT '[]',
    techniques       TEXT NOT NULL DEFAULT '[]',
    reference        TEXT NOT NULL DEFAULT '',
    value_fold       TEXT COLLATE "C",
    description_fold TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    updated_by       TEXT NOT NULL DEFAULT '',
    expires_at       BIGINT,
    hits             BIGINT NOT NULL DEFAULT 0,
    last_hit_at      BIGINT
);
CREATE UNIQUE INDEX intel_indicators_key ON intel_indicators (type, value, source);
CREATE INDEX intel_indicators_source ON intel_indicators (source, type, value);

CREATE TABLE intel_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO intel_revision (id, revision) VALUES (1, 0);

CREATE TABLE login_profiles (
    agent_id   TEXT COLLATE "C" NOT NULL,
    user_name  TEXT COLLATE "C" NOT NULL,
    first_seen BIGINT,
    last_seen  BIGINT,
    logins     BIGINT NOT NULL,
    hours      TEXT NOT NULL,
    sources    TEXT NOT NULL DEFAULT '[]',
    learned_at BIGINT,
    revision   BIGINT NOT NULL,
    PRIMARY KEY (agent_id, user_name)
);
-- One user's profiles across the fleet, by agent.
CREATE INDEX login_profiles_user ON login_profiles (user_name, agent_id);
