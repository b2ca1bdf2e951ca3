-- rjh registry on PostgreSQL, schema version 3: certificate logins.
-- compat: 1
-- (new tables, and a column that may be NULL: programs of schema 1 and 2
-- never name them)

-- The user CAs whose certificates the jumphosts accept for host logins
-- (sql/010-certs.sql tells the whole story): each jumphost's rjh-sync copies
-- them, with certs, into its cache and publishes REGISTRY.user-cas and
-- REGISTRY.krl from there.
CREATE TABLE user_cas (
	id          bigserial PRIMARY KEY,
	fingerprint text NOT NULL UNIQUE,
	algorithm   text NOT NULL,
	blob        text NOT NULL,
	comment     text NOT NULL DEFAULT '',
	own         integer NOT NULL CHECK (own IN (0, 1)),
	added       bigint NOT NULL
);
CREATE UNIQUE INDEX user_cas_one_own ON user_cas(own) WHERE own = 1;

CREATE TABLE certs (
	id           bigserial PRIMARY KEY,
	ca           text NOT NULL,
	serial       bigint NOT NULL,
	host         text NOT NULL,
	key_fp       text,
	key_id       text,
	valid_after  bigint,
	valid_before bigint,
	issued       bigint,
	revoked      bigint,
	UNIQUE (ca, serial)
);
CREATE INDEX certs_host ON certs(host);

-- Both are policy: a change reaches every jumphost's cache like a revoke.
CREATE TRIGGER user_cas_policy AFTER INSERT OR UPDATE OR DELETE ON user_cas
	FOR EACH STATEMENT EXECUTE FUNCTION rjh_policy_changed();
CREATE TRIGGER certs_policy AFTER INSERT OR UPDATE OR DELETE ON certs
	FOR EACH STATEMENT EXECUTE FUNCTION rjh_policy_changed();

-- The certificate a session logged in with (serial, CA and key id), as the
-- jumphost's pam_rjh recorded it, or NULL for a raw key.
ALTER TABLE sessions ADD COLUMN cert text;
