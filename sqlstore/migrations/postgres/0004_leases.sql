-- Leases: which node holds a role (e.g. the routing owner) and until when.
-- token grows with every new tenure, so stale holders can be fenced off.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	token BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

-- The message writer checks a message's task under the task's row lock; a
-- foreign-key check per message only slowed appends down. Tasks are never
-- deleted.
ALTER TABLE messages DROP CONSTRAINT messages_task_id_fkey;
