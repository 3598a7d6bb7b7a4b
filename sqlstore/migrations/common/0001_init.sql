-- interact schema, version 1. Times are Unix milliseconds; JSON is TEXT.
CREATE TABLE tenants (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	state TEXT NOT NULL,
	interact_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	im_enabled BOOLEAN NOT NULL DEFAULT FALSE,
	max_im_tasks INTEGER NOT NULL DEFAULT 20,
	created_at BIGINT NOT NULL
);

CREATE TABLE ous (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	name TEXT NOT NULL,
	parent_id TEXT REFERENCES ous(id),
	created_at BIGINT NOT NULL
);
CREATE INDEX ous_tenant ON ous(tenant_id);
CREATE UNIQUE INDEX ous_root ON ous(tenant_id) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX ous_sibling_name ON ous(tenant_id, parent_id, name);

CREATE TABLE users (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	ou_id TEXT NOT NULL REFERENCES ous(id),
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	lic_contact_center BOOLEAN NOT NULL DEFAULT FALSE,
	lic_instant_messaging BOOLEAN NOT NULL DEFAULT FALSE,
	lic_interact BOOLEAN NOT NULL DEFAULT FALSE,
	roles TEXT NOT NULL DEFAULT '[]',
	created_at BIGINT NOT NULL
);
CREATE INDEX users_tenant ON users(tenant_id, ou_id);

CREATE TABLE services (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	ou_id TEXT NOT NULL REFERENCES ous(id),
	name TEXT NOT NULL,
	license TEXT NOT NULL,
	interact_license BOOLEAN NOT NULL DEFAULT FALSE,
	distribution TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX services_name ON services(tenant_id, name);
CREATE INDEX services_ou ON services(tenant_id, ou_id);

CREATE TABLE service_members (
	service_id TEXT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	PRIMARY KEY (service_id, user_id)
);
CREATE INDEX service_members_user ON service_members(user_id);

CREATE TABLE domain_templates (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	ou_id TEXT NOT NULL REFERENCES ous(id),
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	origins TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX domain_templates_name ON domain_templates(tenant_id, name);

-- One row per service or user: the Interact tab. Kept when Interact is
-- switched off or the add-on removed.
CREATE TABLE interact_settings (
	owner_id TEXT PRIMARY KEY,
	owner_kind TEXT NOT NULL,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	active BOOLEAN NOT NULL DEFAULT TRUE,
	audio_video BOOLEAN NOT NULL DEFAULT FALSE,
	instant_message BOOLEAN NOT NULL DEFAULT FALSE,
	restrict_access BOOLEAN NOT NULL DEFAULT FALSE,
	template_ids TEXT NOT NULL DEFAULT '[]',
	contact_id TEXT NOT NULL UNIQUE,
	widget_key TEXT NOT NULL,
	previous_widget_key TEXT NOT NULL DEFAULT '',
	previous_key_valid_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX interact_settings_tenant ON interact_settings(tenant_id);

CREATE TABLE login_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf_token TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX login_sessions_user ON login_sessions(user_id);

CREATE TABLE api_tokens (
	id TEXT PRIMARY KEY,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	last_used_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL,
	at BIGINT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_email TEXT NOT NULL,
	action TEXT NOT NULL,
	entity_kind TEXT NOT NULL,
	entity_id TEXT NOT NULL,
	before_json TEXT,
	after_json TEXT
);
CREATE INDEX audit_log_tenant ON audit_log(tenant_id, id);
