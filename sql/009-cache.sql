-- rjh registry, schema version 9: a jumphost's registry as the cache of a
-- PostgreSQL registry (store = postgresql).
-- compat: 6
-- (a new table and triggers that only write it: programs of schema 6 to 8
-- record sessions and events as before, and the triggers note them)
--
-- With store = postgresql, PostgreSQL holds the policy and rjh-sync keeps
-- this file in step with it (hosts, keys, host_keys, grants, the uid
-- settings), so that the login path reads local files only. What the
-- jumphost itself writes here (sessions by pam_rjh, events) flows up:
-- these triggers list each such row in outbox, and rjh-sync ships the rows
-- to PostgreSQL, then deletes their outbox entries. The triggers fire only
-- in a cache (settings.cache_of, which rjh-sync sets), so a single-node
-- registry never fills outbox.
CREATE TABLE outbox (
	id     INTEGER PRIMARY KEY,
	kind   TEXT NOT NULL CHECK (kind IN ('session', 'event')),
	row_id INTEGER NOT NULL
) STRICT;

CREATE TRIGGER outbox_session_insert AFTER INSERT ON sessions
WHEN EXISTS (SELECT 1 FROM settings WHERE name = 'cache_of') BEGIN
	INSERT INTO outbox(kind, row_id) VALUES ('session', NEW.id);
END;
CREATE TRIGGER outbox_session_update AFTER UPDATE OF ended, end_reason ON sessions
WHEN EXISTS (SELECT 1 FROM settings WHERE name = 'cache_of') BEGIN
	INSERT INTO outbox(kind, row_id) VALUES ('session', NEW.id);
END;
CREATE TRIGGER outbox_event_insert AFTER INSERT ON events
WHEN EXISTS (SELECT 1 FROM settings WHERE name = 'cache_of') BEGIN
	INSERT INTO outbox(kind, row_id) VALUES ('event', NEW.id);
END;
