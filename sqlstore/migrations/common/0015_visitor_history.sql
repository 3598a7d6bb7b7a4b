-- The visitor across visits: a task keeps the key of its browser's visitor
-- id (a hash, '' without one), indexed for the visitor's earlier
-- conversations; the widget shows a visitor their previous conversation
-- only where a service switches it on (off by default).
ALTER TABLE tasks ADD COLUMN visitor_key TEXT NOT NULL DEFAULT '';
CREATE INDEX tasks_visitor ON tasks(tenant_id, visitor_key, created_at) WHERE visitor_key <> '';
ALTER TABLE interact_settings ADD COLUMN visitor_history BOOLEAN NOT NULL DEFAULT FALSE;
