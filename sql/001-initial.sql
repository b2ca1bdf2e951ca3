-- rjh registry, schema version 1. Applied by the code (lib/reg.c) inside one
-- transaction; never edit a registry by hand. Times are seconds since the epoch, UTC.

-- Values fixed at `rjh-admin init`: uid_min, uid_max, next_uid, host_group, host_gid.
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE hosts (
	id       INTEGER PRIMARY KEY,
	name     TEXT NOT NULL UNIQUE,
	-- Allocated from settings.next_uid, which only grows: a removed host's uid is never reused.
	uid      INTEGER NOT NULL UNIQUE,
	state    TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
	created  INTEGER NOT NULL,
	updated  INTEGER NOT NULL,
	-- Canonical comma-separated CIDRs the host may connect from; NULL means anywhere.
	source_cidrs TEXT,
	expires  INTEGER
) STRICT;

CREATE TABLE keys (
	id          INTEGER PRIMARY KEY,
	host_id     INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	algorithm   TEXT NOT NULL,
	blob        TEXT NOT NULL,
	-- As `ssh-keygen -l -E sha256` prints it and sshd passes it in %f. One key, one host.
	fingerprint TEXT NOT NULL UNIQUE,
	comment     TEXT NOT NULL DEFAULT '',
	created     INTEGER NOT NULL,
	expires     INTEGER,
	revoked     INTEGER
) STRICT;
CREATE INDEX keys_host ON keys(host_id);

-- principal: a user name, or @group. pattern: a host name or a glob over host names.
CREATE TABLE grants (
	id        INTEGER PRIMARY KEY,
	principal TEXT NOT NULL,
	pattern   TEXT NOT NULL,
	created   INTEGER NOT NULL,
	UNIQUE (principal, pattern)
) STRICT;

-- Presence history. Kept by name and uid, not by foreign key, so that it
-- outlives `remove`.
CREATE TABLE sessions (
	id          INTEGER PRIMARY KEY,
	host        TEXT NOT NULL,
	uid         INTEGER NOT NULL,
	fingerprint TEXT,
	source_addr TEXT,
	sshd_pid    INTEGER,
	started     INTEGER NOT NULL,
	ended       INTEGER
) STRICT;
CREATE INDEX sessions_host ON sessions(host, started);

-- A mirror of every audit record rjh writes (type is the audit record type).
CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	time        INTEGER NOT NULL,
	type        TEXT NOT NULL,
	op          TEXT NOT NULL,
	actor_uid   INTEGER NOT NULL,
	actor_auid  INTEGER,
	host        TEXT,
	fingerprint TEXT,
	result      TEXT NOT NULL CHECK (result IN ('success', 'failed')),
	detail      TEXT
) STRICT;
CREATE INDEX events_host ON events(host, time);
