-- A service's notification address: each message a visitor leaves (out of
-- hours, or after no agent could take the contact) is mailed there. Mails
-- may carry a Reply-To (the visitor's address, so the team can answer).
ALTER TABLE services ADD COLUMN notify_email TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
