-- Codes: predefined labels, each on an OU. A service offers the codes of
-- its OU and of every OU above it. Deleting an (empty) OU deletes its codes.
CREATE TABLE codes (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL REFERENCES tenants(id),
	ou_id TEXT NOT NULL REFERENCES ous(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (ou_id, name)
);
CREATE INDEX codes_tenant ON codes(tenant_id, ou_id);

-- Labels on user sessions (offers), kept apart from the offers the routing
-- engine writes: kind 'code' (ref is the code's id, name its name when
-- attached, kept for reporting after a delete) or 'tag' (ref and name are
-- the tag).
CREATE TABLE session_labels (
	tenant_id TEXT NOT NULL,
	offer_id TEXT NOT NULL,
	task_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	ref TEXT NOT NULL,
	name TEXT NOT NULL,
	added_at BIGINT NOT NULL,
	PRIMARY KEY (offer_id, kind, ref)
);
CREATE INDEX session_labels_task ON session_labels(task_id);
CREATE INDEX session_labels_ref ON session_labels(tenant_id, kind, ref);
