-- rjh registry, schema version 10: OpenSSH user certificates for host logins.
-- compat: 6
-- (new tables and a column that may be NULL: programs of schema 6 to 9
-- never name them, so they go on recording sessions during an upgrade)

-- The user CAs whose certificates sshd accepts for host logins: what
-- REGISTRY.user-cas lists (sshd's TrustedUserCAKeys). At most one is rjh's
-- own (`rjh-admin ca init`, own = 1); the others were added as public keys
-- (`rjh-admin ca add`). A certificate's only principal must be an enrolled,
-- active host's name.
CREATE TABLE user_cas (
	id          INTEGER PRIMARY KEY,
	fingerprint TEXT NOT NULL UNIQUE,
	algorithm   TEXT NOT NULL,
	blob        TEXT NOT NULL,
	comment     TEXT NOT NULL DEFAULT '',
	own         INTEGER NOT NULL CHECK (own IN (0, 1)),
	added       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX user_cas_one_own ON user_cas(own) WHERE own = 1;

-- Certificates: each one rjh's own CA issued (`rjh-admin sign`: issued is
-- set), and each serial of any CA an operator revoked (`rjh-admin
-- revoke-cert`). serial is the certificate's uint64 serial as SQLite's
-- signed integer (same bits). Rows outlive their host, so that a name
-- enrolled again never inherits an old certificate: removing a host
-- revokes the certificates it had. REGISTRY.krl (sshd's RevokedKeys) lists
-- every revoked serial, and those of disabled hosts, until they expire.
CREATE TABLE certs (
	id           INTEGER PRIMARY KEY,
	ca           TEXT NOT NULL,
	serial       INTEGER NOT NULL,
	host         TEXT NOT NULL,
	key_fp       TEXT,
	key_id       TEXT,
	valid_after  INTEGER,
	valid_before INTEGER,
	issued       INTEGER,
	revoked      INTEGER,
	UNIQUE (ca, serial)
) STRICT;
CREATE INDEX certs_host ON certs(host);

-- The certificate a session logged in with (serial, CA and key id), or NULL
-- for a raw key.
ALTER TABLE sessions ADD COLUMN cert TEXT;
