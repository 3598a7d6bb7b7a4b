-- Tasks, their messages and their offers (user sessions).
CREATE TABLE tasks (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	service_id TEXT NOT NULL DEFAULT '',
	contact_id TEXT NOT NULL,
	direct_user_id TEXT NOT NULL DEFAULT '',
	modality TEXT NOT NULL,
	state TEXT NOT NULL,
	priority INTEGER NOT NULL DEFAULT 0,
	strict BOOLEAN NOT NULL DEFAULT FALSE,
	queue_seq BIGINT NOT NULL,
	visitor TEXT NOT NULL DEFAULT '{}',
	origin TEXT NOT NULL DEFAULT '',
	agent_id TEXT NOT NULL DEFAULT '',
	target_agent_id TEXT NOT NULL DEFAULT '',
	transfers INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	queued_at BIGINT NOT NULL,
	connected_at BIGINT NOT NULL DEFAULT 0,
	ended_at BIGINT NOT NULL DEFAULT 0,
	outcome TEXT NOT NULL DEFAULT '',
	last_seq BIGINT NOT NULL DEFAULT 0,
	left_message TEXT NOT NULL DEFAULT '',
	resume_hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tasks_open ON tasks(state, queue_seq) WHERE state <> 'ended';
CREATE INDEX tasks_tenant ON tasks(tenant_id, created_at);
CREATE INDEX tasks_service ON tasks(tenant_id, service_id, created_at);

CREATE TABLE messages (
	task_id TEXT NOT NULL REFERENCES tasks(id),
	seq BIGINT NOT NULL,
	client_id TEXT NOT NULL,
	sender TEXT NOT NULL,
	agent_id TEXT NOT NULL DEFAULT '',
	name TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (task_id, seq)
);
CREATE UNIQUE INDEX messages_client ON messages(task_id, sender, client_id);

CREATE TABLE offers (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL,
	task_id TEXT NOT NULL REFERENCES tasks(id),
	service_id TEXT NOT NULL DEFAULT '',
	agent_id TEXT NOT NULL,
	modality TEXT NOT NULL,
	offered_at BIGINT NOT NULL,
	answered_at BIGINT NOT NULL DEFAULT 0,
	ended_at BIGINT NOT NULL DEFAULT 0,
	outcome TEXT NOT NULL DEFAULT '',
	codes TEXT NOT NULL DEFAULT '[]',
	tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX offers_task ON offers(task_id);
CREATE INDEX offers_agent ON offers(tenant_id, agent_id, offered_at);
CREATE INDEX offers_open ON offers(ended_at) WHERE ended_at = 0;

-- System messages of a service (welcome, queued, accepted, ended, agent display name).
ALTER TABLE services ADD COLUMN messages TEXT NOT NULL DEFAULT '{"agentNameMode":"real"}';
