-- The after-call work an agent did after a user session (offer), in ms.
ALTER TABLE offers ADD COLUMN acw_ms BIGINT NOT NULL DEFAULT 0;

-- Reports read a bounded column set of tasks and offers over a period:
-- these covering indexes answer them without touching the rows (tasks
-- carry the visitor's data and are wide).
CREATE INDEX tasks_report ON tasks(tenant_id, service_id, created_at, connected_at, ended_at, transfers, outcome);
CREATE INDEX offers_report ON offers(tenant_id, offered_at, agent_id, service_id, answered_at, ended_at, outcome, acw_ms);
CREATE INDEX offers_rona ON offers(tenant_id, service_id, offered_at) WHERE outcome = 'rona';
CREATE INDEX offers_acw ON offers(tenant_id, service_id, offered_at, acw_ms) WHERE acw_ms > 0;
-- tasks_report starts with tasks_service's columns and replaces it (the
-- planner would otherwise pick the narrower one and read the rows).
DROP INDEX tasks_service;
