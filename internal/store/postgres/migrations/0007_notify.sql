-- Vigil schema, version 7: the notification channels operators manage
-- through the API (those of the --notify-config file are not stored).
-- config is the channel's configuration as JSON without its secrets;
-- secrets holds them sealed by the center with the key in its data
-- folder (empty when the channel has none). revision counts the writes:
-- a replacement names the revision it read. The name uses the "C"
-- collation: channels list in byte order, as on SQLite.

CREATE TABLE notify_channels (
    name       TEXT COLLATE "C" PRIMARY KEY,
    type       TEXT NOT NULL,
    config     TEXT NOT NULL,
    secrets    BYTEA NOT NULL,
    revision   BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);
