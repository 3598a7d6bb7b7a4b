-- Reports read a bounded column set of tasks and offers over a period:
-- these covering indexes answer them without touching the rows (tasks
-- carry the visitor's data and are wide).
CREATE INDEX tasks_report ON tasks(tenant_id, service_id, created_at, connected_at, ended_at, transfers, outcome);
CREATE INDEX offers_report ON offers(tenant_id, offered_at, agent_id, service_id, answered_at, ended_at, outcome);
