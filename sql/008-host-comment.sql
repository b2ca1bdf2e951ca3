-- rjh registry, schema version 8: a host's own comment.
-- compat: 6
-- (a column that may be NULL: programs of schema 6 and 7 never name it, so
-- their reads and writes of hosts work on as before during an upgrade)

-- A note an operator keeps on the host (owner, rack, ticket), set by
-- `rjh-admin modify --comment`; NULL when there is none. Not policy: the
-- login path does not read it.
ALTER TABLE hosts ADD COLUMN comment TEXT;
