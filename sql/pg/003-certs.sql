-- rjh registry on PostgreSQL, schema version 3: certificate logins.
-- compat: 1
-- (a column that may be NULL: programs of schema 1 and 2 never name it)

-- The certificate a session logged in with (serial, CA and key id), as the
-- jumphost's pam_rjh recorded it, or NULL for a raw key.
ALTER TABLE sessions ADD COLUMN cert text;
