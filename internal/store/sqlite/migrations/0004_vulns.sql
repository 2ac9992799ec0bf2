-- Vigil schema, version 4: risk. The vulnerability database: advisories
-- (vuln_advisories) with the lists filters look values up in beside them
-- (vuln_advisory_aliases, vuln_advisory_ecosystems) and their OSV records,
-- zstd-compressed, in a table of their own so that listings read narrow
-- rows (vuln_advisory_records); the known-exploited catalogue
-- (vuln_known_exploited); the state of each feed (vuln_sources). Each
-- agent's findings (vuln_findings): sev_rank orders severities (0 for
-- critical up to 5 for unknown) and neg_score is the score negated, so
-- that the listing order, most severe first, is ascending in every
-- column; hash is a SHA-256 of what a finding says (all but its times),
-- so that a finding written again unchanged is not rewritten. Every
-- finding of an agent is written when its findings are replaced: their
-- update time is the agent's, kept once (vuln_finding_sets).
-- Word lists for the weak password checks (vuln_wordlists) hold
-- their words joined by newlines, zstd-compressed.

CREATE TABLE vuln_advisories (
    id         TEXT PRIMARY KEY,
    source     TEXT NOT NULL,
    modified   INTEGER NOT NULL,
    published  INTEGER,
    withdrawn  INTEGER,
    severity   TEXT NOT NULL,
    score      REAL NOT NULL DEFAULT 0,
    summary    TEXT NOT NULL DEFAULT '',
    aliases    TEXT NOT NULL DEFAULT '[]',
    ecosystems TEXT NOT NULL DEFAULT '[]',
    packages   TEXT NOT NULL DEFAULT '[]',
    search     TEXT NOT NULL,
    record_sum BLOB NOT NULL
);
CREATE INDEX vuln_advisories_source ON vuln_advisories (source, id);

CREATE TABLE vuln_advisory_records (
    id     TEXT PRIMARY KEY,
    record BLOB
);

CREATE TABLE vuln_advisory_aliases (
    advisory_id TEXT NOT NULL,
    alias       TEXT NOT NULL,
    PRIMARY KEY (advisory_id, alias)
);
CREATE INDEX vuln_advisory_aliases_alias ON vuln_advisory_aliases (alias, advisory_id);

CREATE TABLE vuln_advisory_ecosystems (
    advisory_id TEXT NOT NULL,
    ecosystem   TEXT NOT NULL,
    PRIMARY KEY (advisory_id, ecosystem)
);
-- Listings by ecosystem read this index in id order.
CREATE INDEX vuln_advisory_ecosystems_ecosystem ON vuln_advisory_ecosystems (ecosystem, advisory_id);

CREATE TABLE vuln_known_exploited (
    cve        TEXT PRIMARY KEY,
    vendor     TEXT NOT NULL DEFAULT '',
    product    TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL DEFAULT '',
    date_added INTEGER,
    due_date   INTEGER,
    ransomware INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE vuln_sources (
    name          TEXT PRIMARY KEY,
    url           TEXT NOT NULL DEFAULT '',
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    sha256        TEXT NOT NULL DEFAULT '',
    records       INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    synced_at     INTEGER,
    error         TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL
);

CREATE TABLE vuln_findings (
    agent_id        TEXT NOT NULL,
    asset_key       TEXT NOT NULL,
    vuln_id         TEXT NOT NULL,
    asset_kind      TEXT NOT NULL,
    advisories      TEXT NOT NULL DEFAULT '[]',
    aliases         TEXT NOT NULL DEFAULT '[]',
    ecosystem       TEXT NOT NULL DEFAULT '',
    package         TEXT NOT NULL DEFAULT '',
    version         TEXT NOT NULL DEFAULT '',
    fixed_version   TEXT NOT NULL DEFAULT '',
    path            TEXT NOT NULL DEFAULT '',
    severity        TEXT NOT NULL,
    sev_rank        INTEGER NOT NULL,
    score           REAL NOT NULL DEFAULT 0,
    neg_score       REAL NOT NULL DEFAULT 0,
    known_exploited INTEGER NOT NULL DEFAULT 0,
    summary         TEXT NOT NULL DEFAULT '',
    running         INTEGER NOT NULL DEFAULT 0,
    listening       INTEGER NOT NULL DEFAULT 0,
    first_seen      INTEGER NOT NULL,
    search          TEXT NOT NULL,
    hash            BLOB NOT NULL,
    PRIMARY KEY (agent_id, asset_key, vuln_id)
);
-- The listing order across the fleet; the others serve the filters by
-- vulnerability and by package. The vulnerability index also covers what
-- summaries of vulnerabilities aggregate, but their summaries and
-- packages (read for a page's vulnerabilities only).
CREATE INDEX vuln_findings_order ON vuln_findings (sev_rank, neg_score, agent_id, vuln_id, asset_key);
CREATE INDEX vuln_findings_vuln ON vuln_findings (vuln_id, agent_id, sev_rank, score, known_exploited, fixed_version);
CREATE INDEX vuln_findings_package ON vuln_findings (package, ecosystem);

CREATE TABLE vuln_finding_sets (
    agent_id   TEXT PRIMARY KEY,
    updated_at INTEGER NOT NULL
);

CREATE TABLE vuln_wordlists (
    name       TEXT PRIMARY KEY,
    words      BLOB NOT NULL,
    count      INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    author     TEXT NOT NULL DEFAULT '',
    revision   INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
