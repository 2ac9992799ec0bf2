-- Vigil schema, version 2: asset inventory. Each agent's collector holds a
-- set of items (inventory_items) whose digest, size and items per kind are
-- kept with the set (inventory_sets); the changes made after the set's
-- first complete inventory (its baseline) are its history
-- (inventory_changes). Hashes are 32-byte SHA-256 sums; name_lc and
-- search are the case-folded forms that filters compare with.

CREATE TABLE inventory_items (
    agent_id   TEXT NOT NULL,
    collector  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    name       TEXT NOT NULL,
    name_lc    TEXT NOT NULL,
    version    TEXT NOT NULL DEFAULT '',
    fields     TEXT,
    search     TEXT NOT NULL,
    hash       BLOB NOT NULL,
    first_seen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (agent_id, collector, kind, key)
);
-- Listings are ordered by agent, kind, key (collector breaks ties); each
-- index serves that order once its leading columns are fixed by a filter.
CREATE INDEX inventory_items_agent ON inventory_items (agent_id, kind, key, collector);
CREATE INDEX inventory_items_kind ON inventory_items (kind, agent_id, key, collector);
CREATE INDEX inventory_items_name ON inventory_items (name_lc, kind, agent_id, key, collector);

CREATE TABLE inventory_sets (
    agent_id      TEXT NOT NULL,
    collector     TEXT NOT NULL,
    digest        TEXT NOT NULL,
    items         INTEGER NOT NULL DEFAULT 0,
    kinds         TEXT NOT NULL DEFAULT '{}',
    baseline_done INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER,
    checked_at    INTEGER,
    PRIMARY KEY (agent_id, collector)
);

CREATE TABLE inventory_changes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id       TEXT NOT NULL,
    collector      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    key            TEXT NOT NULL,
    name           TEXT NOT NULL,
    action         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    before_version TEXT NOT NULL DEFAULT '',
    after_version  TEXT NOT NULL DEFAULT '',
    before_fields  TEXT,
    after_fields   TEXT,
    search         TEXT NOT NULL
);
CREATE INDEX inventory_changes_agent ON inventory_changes (agent_id, id);
CREATE INDEX inventory_changes_at ON inventory_changes (at);
