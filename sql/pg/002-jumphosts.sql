-- rjh registry on PostgreSQL, schema version 2: several jumphosts.
-- compat: 1
-- (new tables only: programs of schema 1 work on it as before)

-- The jumphosts that serve the fleet (`rjh-admin jumphost add NAME
-- ADDRESS`): name is the jumphost's node_name in its rjh.conf; address and
-- port are what hosts and clients dial (host-unit, client-config).
CREATE TABLE jumphosts (
	name    text PRIMARY KEY,
	address text NOT NULL,
	port    integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
	added   bigint NOT NULL
);

-- Each jumphost's rjh-sync says it is alive every few seconds (seen, on
-- PostgreSQL's clock, so that no jumphost's clock matters); started is when
-- its rjh-sync last started. Rows of presence count only while their
-- jumphost's seen is younger than presence_ttl.
CREATE TABLE heartbeats (
	jumphost text PRIMARY KEY,
	seen     bigint NOT NULL,
	started  bigint NOT NULL
);

-- Which jumphost holds which host's tunnel now, as that jumphost's kernel
-- says (a process listens on the host's socket there); since: when it
-- first reported it.
CREATE TABLE presence (
	jumphost text NOT NULL,
	host     text NOT NULL,
	since    bigint NOT NULL,
	PRIMARY KEY (jumphost, host)
);
CREATE INDEX presence_host ON presence(host);
