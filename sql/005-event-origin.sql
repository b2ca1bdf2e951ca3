-- rjh registry, schema version 5: where a mirrored audit record came from.
--
-- rjh-connect never opens the registry (a caller can stop it): it spools its
-- records (lib/spool.h) and the next rjh-admin that drains the spool mirrors
-- them. origin, the spool file's nonce and line, makes that idempotent: a
-- drain that committed and died before it removed its files mirrors nothing
-- twice. Records written straight into events have none.
ALTER TABLE events ADD COLUMN origin TEXT;
CREATE UNIQUE INDEX events_origin ON events(origin) WHERE origin IS NOT NULL;
