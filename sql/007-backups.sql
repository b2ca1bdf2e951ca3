-- rjh registry, schema version 7: the backups `rjh-admin backup` made.
-- compat: 6
-- (a new table only: programs of schema 6 never touch it, so a jumphost's
-- sshd processes of release 0.1.0 keep recording sessions during an upgrade)

-- One row per backup that passed its checks and was renamed into place,
-- written in the registry it copied (the copy itself does not have its own
-- row), so that an operator, or a later `rjh-admin doctor`, can tell when
-- the last backup was made, where, and what it held. Nothing deletes rows
-- here: one a day is 365 small rows a year.
CREATE TABLE backups (
	id INTEGER PRIMARY KEY,
	time INTEGER NOT NULL,     -- when it was put in place, seconds since the epoch
	path TEXT NOT NULL,        -- absolute path of the file written
	bytes INTEGER NOT NULL,    -- its size
	schema INTEGER NOT NULL,   -- its user_version
	hosts INTEGER NOT NULL,    -- rows it holds
	keys INTEGER NOT NULL,
	sessions INTEGER NOT NULL,
	events INTEGER NOT NULL
);
CREATE INDEX backups_time ON backups(time);
