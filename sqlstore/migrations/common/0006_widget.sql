-- The widget settings of a service or user: the pre-chat form and text
-- overrides, as JSON (interact.WidgetSettings). No row: the defaults.
CREATE TABLE widget_settings (
	owner_id TEXT PRIMARY KEY REFERENCES interact_settings(owner_id) ON DELETE CASCADE,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	settings TEXT NOT NULL,
	updated_at BIGINT NOT NULL
);
