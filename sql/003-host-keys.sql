-- rjh registry, schema version 3: the hosts' own sshd host keys, and an
-- index for reading the audit trail by time.

-- A host's sshd host public keys, as `rjh-admin enroll --host-key` or
-- `set-host-key` recorded them; `rjh-admin known-hosts` prints them for
-- clients. At most one per algorithm (sshd offers one key per type), and one
-- key belongs to one host: two hosts with the same host key (a cloned image)
-- could impersonate each other, so the registry refuses it.
CREATE TABLE host_keys (
	id          INTEGER PRIMARY KEY,
	host_id     INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	algorithm   TEXT NOT NULL,
	blob        TEXT NOT NULL,
	-- As `ssh-keygen -l -E sha256` prints it.
	fingerprint TEXT NOT NULL UNIQUE,
	created     INTEGER NOT NULL,
	UNIQUE (host_id, algorithm)
) STRICT;

-- `rjh-admin audit --since T` without --host walks events from T on.
CREATE INDEX events_time ON events(time);
