-- Server secrets (e.g. the key that signs visitor tokens), shared by every node.
CREATE TABLE server_secrets (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
