-- Vigil schema, version 7: the notification channels operators manage
-- through the API (those of the --notify-config file are not stored).
-- config is the channel's configuration as JSON without its secrets;
-- secrets holds them sealed by the center with the key in its data
-- folder (empty when the channel has none). revision counts the writes:
-- a replacement names the revision it read.

CREATE TABLE notify_channels (
    name       TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    config     TEXT NOT NULL,
    secrets    BLOB NOT NULL,
    revision   INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);
