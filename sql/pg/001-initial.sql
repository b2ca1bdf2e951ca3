-- rjh registry on PostgreSQL, schema version 1 (store = postgresql).
-- Applied by `rjh-admin migrate` (lib/reg_pg.c) inside one transaction.
-- The same tables as the SQLite registry (sql/), so that every rule reads
-- them alike; times are seconds since the epoch, UTC. What differs:
-- sessions and events carry the jumphost that wrote them, and every change
-- of policy (hosts, keys, host_keys, grants) bumps the one row of
-- generation, which orders them: the row lock makes writers take their
-- turns, so a reader that saw generation N has every change up to N.

-- uid_min, uid_max, next_uid (which only grows: uids are never reused,
-- and are the same on every jumphost), host_group, host_gid, schema,
-- compat_schema, events_pruned_before.
CREATE TABLE settings (
	name  text PRIMARY KEY,
	value text NOT NULL
);

CREATE TABLE hosts (
	id           bigserial PRIMARY KEY,
	name         text NOT NULL UNIQUE,
	uid          bigint NOT NULL UNIQUE,
	state        text NOT NULL CHECK (state IN ('active', 'disabled')),
	created      bigint NOT NULL,
	updated      bigint NOT NULL,
	source_cidrs text,
	expires      bigint,
	comment      text
);

CREATE TABLE keys (
	id          bigserial PRIMARY KEY,
	host_id     bigint NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	algorithm   text NOT NULL,
	blob        text NOT NULL,
	fingerprint text NOT NULL UNIQUE,
	comment     text NOT NULL DEFAULT '',
	created     bigint NOT NULL,
	expires     bigint,
	revoked     bigint
);
CREATE INDEX keys_host ON keys(host_id);

CREATE TABLE host_keys (
	id          bigserial PRIMARY KEY,
	host_id     bigint NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	algorithm   text NOT NULL,
	blob        text NOT NULL,
	fingerprint text NOT NULL UNIQUE,
	created     bigint NOT NULL,
	UNIQUE (host_id, algorithm)
);

CREATE TABLE grants (
	id        bigserial PRIMARY KEY,
	principal text NOT NULL,
	pattern   text NOT NULL,
	created   bigint NOT NULL,
	UNIQUE (principal, pattern)
);

-- Presence from every jumphost. origin is "node:cache:id", the row's place
-- in the jumphost's cache (rjh-sync ships each row at least once; origin
-- makes that idempotent).
CREATE TABLE sessions (
	id          bigserial PRIMARY KEY,
	jumphost    text NOT NULL,
	origin      text NOT NULL UNIQUE,
	host        text NOT NULL,
	uid         bigint NOT NULL,
	fingerprint text,
	source_addr text,
	sshd_pid    bigint,
	sshd_start  bigint,
	started     bigint NOT NULL,
	ended       bigint,
	end_reason  text CHECK (end_reason IN ('closed', 'stale'))
);
CREATE INDEX sessions_host ON sessions(host, started);
CREATE INDEX sessions_open ON sessions(host) WHERE ended IS NULL;
CREATE INDEX sessions_ended ON sessions(ended) WHERE ended IS NOT NULL;

-- The mirror of every audit record: rjh-admin's, written in its change;
-- the jumphosts', shipped by rjh-sync with their origin.
CREATE TABLE events (
	id          bigserial PRIMARY KEY,
	jumphost    text,
	time        bigint NOT NULL,
	type        text NOT NULL,
	op          text NOT NULL,
	actor_uid   bigint NOT NULL,
	actor_auid  bigint,
	host        text,
	fingerprint text,
	result      text NOT NULL CHECK (result IN ('success', 'failed')),
	detail      text,
	origin      text UNIQUE
);
CREATE INDEX events_host ON events(host, time);
CREATE INDEX events_time ON events(time);

CREATE TABLE generation (
	one   boolean PRIMARY KEY DEFAULT true CHECK (one),
	value bigint NOT NULL
);
INSERT INTO generation(value) VALUES (1);

CREATE FUNCTION rjh_policy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE generation SET value = value + 1;
	-- Delivered at commit, to the jumphosts that LISTEN on the primary.
	PERFORM pg_notify('rjh_policy', '');
	RETURN NULL;
END
$$;
CREATE TRIGGER hosts_policy AFTER INSERT OR UPDATE OR DELETE ON hosts
	FOR EACH STATEMENT EXECUTE FUNCTION rjh_policy_changed();
CREATE TRIGGER keys_policy AFTER INSERT OR UPDATE OR DELETE ON keys
	FOR EACH STATEMENT EXECUTE FUNCTION rjh_policy_changed();
CREATE TRIGGER host_keys_policy AFTER INSERT OR UPDATE OR DELETE ON host_keys
	FOR EACH STATEMENT EXECUTE FUNCTION rjh_policy_changed();
CREATE TRIGGER grants_policy AFTER INSERT OR UPDATE OR DELETE ON grants
	FOR EACH STATEMENT EXECUTE FUNCTION rjh_policy_changed();
