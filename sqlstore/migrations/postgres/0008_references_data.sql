-- The JSON references become rows and column values (see 0007), and the
-- JSON copies go: the relations are the only record. A reference to a
-- template or service that no longer exists in the owner's tenant is
-- dropped.
INSERT INTO selected_domain_templates (owner_id, owner_kind, template_id, position)
SELECT s.owner_id, s.owner_kind, t.id, MIN(j.ord) - 1
FROM interact_settings s
CROSS JOIN LATERAL jsonb_array_elements_text(s.template_ids::jsonb) WITH ORDINALITY AS j(id, ord)
JOIN domain_templates t ON t.id = j.id AND t.tenant_id = s.tenant_id
GROUP BY s.owner_id, s.owner_kind, t.id;
ALTER TABLE interact_settings DROP COLUMN template_ids;

UPDATE services SET overflow_service_id = t.id
FROM services t
WHERE t.id = services.distribution::jsonb ->> 'overflowServiceId' AND t.tenant_id = services.tenant_id AND t.id <> services.id;
UPDATE services SET distribution = (distribution::jsonb - 'overflowServiceId')::text
WHERE distribution::jsonb ->> 'overflowServiceId' IS NOT NULL;
