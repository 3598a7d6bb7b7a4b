-- Leases: which node holds a role (e.g. the routing owner) and until when.
-- token grows with every new tenure, so stale holders can be fenced off.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	token BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

-- Messages are kept in their primary key's order (a task's messages side
-- by side); the separate rowid tree only cost writes. The message writer
-- checks a message's task inside its transaction; a foreign-key check per
-- message only slowed appends down. Tasks are never deleted.
CREATE TABLE messages_by_task (
	task_id TEXT NOT NULL,
	seq BIGINT NOT NULL,
	client_id TEXT NOT NULL,
	sender TEXT NOT NULL,
	agent_id TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
INSERT INTO messages_by_task SELECT task_id, seq, client_id, sender, agent_id, name, body, at FROM messages;
DROP TABLE messages;
ALTER TABLE messages_by_task RENAME TO messages;
CREATE UNIQUE INDEX messages_client ON messages(task_id, sender, client_id);
