-- E-mail addresses are unique per tenant, no longer across the whole
-- installation: one person may hold a user in several tenants, and
-- creating a user must not tell one tenant that an address is in use in
-- another. Addresses are stored lower-cased (interact.NormalizeEmail); the
-- unique index compares them lower-cased too. users_email serves sign-in,
-- which looks an address up across tenants.
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email));
CREATE INDEX users_email ON users (email);
