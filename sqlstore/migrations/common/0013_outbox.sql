-- The outbox: mails queued in the transaction of the change that causes
-- them, sent by one sender at a time (the "outbox" lease). A sender claims
-- a mail by setting state 'sending' and claimed_until; a claim that runs
-- out (its sender died) makes the mail due again. message_id and the
-- bodies are fixed at queueing, so a retry sends the very same mail; the
-- bodies are emptied once the mail is sent or has failed for good.
CREATE TABLE outbox (
	id TEXT PRIMARY KEY,
	tenant_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	message_id TEXT NOT NULL UNIQUE,
	from_addr TEXT NOT NULL,
	to_addr TEXT NOT NULL,
	subject TEXT NOT NULL,
	body_text TEXT NOT NULL,
	body_html TEXT NOT NULL,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL DEFAULT 0,
	claimed_until BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	sent_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_tenant ON outbox(tenant_id, id);

-- One-time tokens of account mails (invitations, password resets): only
-- their SHA-256 is kept. A token is spent (used_at) by setting a password.
CREATE TABLE account_tokens (
	token_hash TEXT PRIMARY KEY,
	purpose TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX account_tokens_user ON account_tokens(user_id, purpose, created_at);
