package sqlstore

import (
	"context"

	"github.com/interact-oss/interact"
)

// templates are the domain templates: OU-scoped lists of origin patterns
// (oulist.go) that services and users select.
var templates = &ouListKind[interact.DomainTemplate, *interact.DomainTemplate]{
	table: "domain_templates", listCol: "origins", noun: "domain template", audit: "domain_template",
	selections: "selected_domain_templates", selectionKey: "template_id", selectedBy: "service(s) or user(s)",
	fields: func(t *interact.DomainTemplate) listFields {
		return listFields{&t.ID, &t.TenantID, &t.OUID, &t.Name, &t.Description, &t.Origins, &t.CreatedAt}
	},
}

// DomainTemplates lists the templates the actor can read.
func (db *DB) DomainTemplates(ctx context.Context, a interact.Actor) ([]interact.DomainTemplate, error) {
	return templates.readable(ctx, db, a)
}

// DomainTemplate returns one template the actor can read.
func (db *DB) DomainTemplate(ctx context.Context, a interact.Actor, id string) (*interact.DomainTemplate, error) {
	return templates.get(ctx, db, a, id)
}

// CreateDomainTemplate creates a template in an OU the actor administers.
func (db *DB) CreateDomainTemplate(ctx context.Context, a interact.Actor, t interact.DomainTemplate) (*interact.DomainTemplate, error) {
	return templates.create(ctx, db, a, &t)
}

// UpdateDomainTemplate changes a template. Moving it to another OU keeps it
// working wherever it is already selected.
func (db *DB) UpdateDomainTemplate(ctx context.Context, a interact.Actor, id string, upd interact.DomainTemplateUpdate) (*interact.DomainTemplate, error) {
	return templates.update(ctx, db, a, id, func(t *interact.DomainTemplate) { upd.Apply(t) })
}

// DeleteDomainTemplate deletes a template that no service or user selects.
func (db *DB) DeleteDomainTemplate(ctx context.Context, a interact.Actor, id string) error {
	return templates.remove(ctx, db, a, id)
}
