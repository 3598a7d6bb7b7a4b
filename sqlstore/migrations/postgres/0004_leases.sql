-- Leases: which node holds a role (e.g. the routing owner) and until when.
-- token grows with every new tenure, so stale holders can be fenced off.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	token BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
