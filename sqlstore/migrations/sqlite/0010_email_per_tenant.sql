-- E-mail addresses are unique per tenant, no longer across the whole
-- installation: one person may hold a user in several tenants, and
-- creating a user must not tell one tenant that an address is in use in
-- another. Addresses are stored lower-cased (interact.NormalizeEmail); the
-- unique index compares them lower-cased too. users_email serves sign-in,
-- which looks an address up across tenants.
--
-- SQLite cannot drop a column's UNIQUE constraint, so the table is rebuilt
-- by SQLite's procedure for other schema changes
-- (https://www.sqlite.org/lang_altertable.html#otheralter): the migration
-- runner turns foreign keys off around it and runs PRAGMA
-- foreign_key_check before commit. service_members, login_sessions and
-- api_tokens reference users(id) by name, so they reference the new table
-- once it is renamed; no trigger or view names users.
CREATE TABLE users_new (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	ou_id TEXT NOT NULL REFERENCES ous(id),
	email TEXT NOT NULL,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	lic_contact_center BOOLEAN NOT NULL DEFAULT FALSE,
	lic_instant_messaging BOOLEAN NOT NULL DEFAULT FALSE,
	lic_interact BOOLEAN NOT NULL DEFAULT FALSE,
	roles TEXT NOT NULL DEFAULT '[]',
	created_at BIGINT NOT NULL
);
INSERT INTO users_new (id, tenant_id, ou_id, email, name, password_hash, lic_contact_center, lic_instant_messaging, lic_interact, roles, created_at)
SELECT id, tenant_id, ou_id, email, name, password_hash, lic_contact_center, lic_instant_messaging, lic_interact, roles, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_tenant ON users(tenant_id, ou_id);
CREATE UNIQUE INDEX users_tenant_email ON users(tenant_id, lower(email));
CREATE INDEX users_email ON users(email);
