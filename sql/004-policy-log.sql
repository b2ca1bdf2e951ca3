-- rjh registry, schema version 4: the policy log behind the login snapshot.
--
-- The login path (the key helper, pam_rjh's account check, rjh-connect's
-- grant check) never reads the registry: it reads the login snapshot
-- (REGISTRY.login, lib/login.h), which the writers keep in step after each
-- commit. These triggers note, in the same transaction as the change, every
-- host whose policy changed (its row, its keys) and every change of the
-- grants (host NULL). The newest id is the registry's policy generation; a
-- snapshot records the generation it reflects, so the next writer knows
-- exactly which hosts to read again, also after a writer that died between
-- its commit and its snapshot. Rows the snapshot already reflects are
-- pruned, except the newest, so that ids (max + 1) keep growing without
-- AUTOINCREMENT's bookkeeping; settings.policy_log_floor says up to where.
CREATE TABLE policy_log (
	id   INTEGER PRIMARY KEY,
	host TEXT
) STRICT;

CREATE TRIGGER policy_host_insert AFTER INSERT ON hosts BEGIN
	INSERT INTO policy_log(host) VALUES (NEW.name);
END;
CREATE TRIGGER policy_host_update AFTER UPDATE ON hosts BEGIN
	INSERT INTO policy_log(host) VALUES (OLD.name);
	INSERT INTO policy_log(host) SELECT NEW.name WHERE NEW.name IS NOT OLD.name;
END;
CREATE TRIGGER policy_host_delete AFTER DELETE ON hosts BEGIN
	INSERT INTO policy_log(host) VALUES (OLD.name);
END;

-- A key's host: none when the key goes with its host (ON DELETE CASCADE),
-- whose own row was logged already.
CREATE TRIGGER policy_key_insert AFTER INSERT ON keys BEGIN
	INSERT INTO policy_log(host) SELECT name FROM hosts WHERE id = NEW.host_id;
END;
CREATE TRIGGER policy_key_update AFTER UPDATE ON keys BEGIN
	INSERT INTO policy_log(host) SELECT name FROM hosts WHERE id IN (OLD.host_id, NEW.host_id);
END;
CREATE TRIGGER policy_key_delete AFTER DELETE ON keys BEGIN
	INSERT INTO policy_log(host) SELECT name FROM hosts WHERE id = OLD.host_id;
END;

CREATE TRIGGER policy_grant_insert AFTER INSERT ON grants BEGIN
	INSERT INTO policy_log(host) VALUES (NULL);
END;
CREATE TRIGGER policy_grant_update AFTER UPDATE ON grants BEGIN
	INSERT INTO policy_log(host) VALUES (NULL);
END;
CREATE TRIGGER policy_grant_delete AFTER DELETE ON grants BEGIN
	INSERT INTO policy_log(host) VALUES (NULL);
END;

-- Whatever the registry held before this version is one change: the first
-- snapshot is a full build.
INSERT INTO policy_log(host) VALUES (NULL);
