-- rjh registry, schema version 2: presence written by pam_rjh.

-- The start time of the sshd process that holds the session (field 22 of
-- /proc/PID/stat, clock ticks since boot): with sshd_pid it tells a live
-- session from a row left open by an sshd that crashed, even after the pid
-- is reused.
ALTER TABLE sessions ADD COLUMN sshd_start INTEGER;
-- Why a session ended: 'closed' (pam_rjh's close_session) or 'stale' (its
-- sshd was gone when the host's next session opened).
ALTER TABLE sessions ADD COLUMN end_reason TEXT CHECK (end_reason IN ('closed', 'stale'));
CREATE INDEX sessions_open ON sessions(host) WHERE ended IS NULL;
