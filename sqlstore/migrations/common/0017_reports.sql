-- The after-call work agents did after a user session (offer), in ms,
-- and its sum over a task's user sessions, kept with the task.
ALTER TABLE offers ADD COLUMN acw_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN acw_ms BIGINT NOT NULL DEFAULT 0;

-- Reports read a bounded column set of tasks and offers over a period:
-- these covering indexes answer them without touching the rows (tasks
-- carry the visitor's data and are wide).
CREATE INDEX tasks_report ON tasks(tenant_id, service_id, created_at, connected_at, ended_at, transfers, outcome, acw_ms, rating_stars);
CREATE INDEX offers_report ON offers(tenant_id, offered_at, agent_id, service_id, answered_at, ended_at, outcome, acw_ms);
CREATE INDEX offers_rona ON offers(tenant_id, service_id, offered_at) WHERE outcome = 'rona';
-- tasks_report starts with tasks_service's columns and replaces it (the
-- planner would otherwise pick the narrower one and read the rows).
DROP INDEX tasks_service;
