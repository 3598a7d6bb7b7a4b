-- References between entities are relations the database checks, not
-- text inside JSON: the domain templates a service or user selects, and a
-- service's overflow target. A referenced template or service cannot be
-- deleted; deleting the owner's Interact settings (with the service or
-- user) deletes its selection. 0008 carries the JSON references over.

-- The key a selection's foreign key names (owner ids are unique anyway).
CREATE UNIQUE INDEX interact_settings_owner ON interact_settings(owner_id, owner_kind);

-- The templates selected on a service's or user's Interact tab, in order.
CREATE TABLE selected_domain_templates (
	owner_id TEXT NOT NULL,
	owner_kind TEXT NOT NULL,
	template_id TEXT NOT NULL REFERENCES domain_templates(id) ON DELETE RESTRICT,
	position INTEGER NOT NULL,
	PRIMARY KEY (owner_id, template_id),
	FOREIGN KEY (owner_id, owner_kind) REFERENCES interact_settings(owner_id, owner_kind) ON DELETE CASCADE
);
CREATE INDEX selected_domain_templates_template ON selected_domain_templates(template_id);

-- The service that distribution.overflowServiceId names (overflowAction
-- transfer); NULL otherwise. The distribution JSON no longer holds it.
ALTER TABLE services ADD COLUMN overflow_service_id TEXT REFERENCES services(id) ON DELETE RESTRICT;
CREATE INDEX services_overflow ON services(overflow_service_id) WHERE overflow_service_id IS NOT NULL;
