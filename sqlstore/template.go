package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/interact-oss/interact"
)

const templateCols = `id, tenant_id, ou_id, name, description, origins, created_at`

func scanTemplate(row interface{ Scan(...any) error }) (*interact.DomainTemplate, error) {
	var t interact.DomainTemplate
	var origins string
	var created int64
	if err := row.Scan(&t.ID, &t.TenantID, &t.OUID, &t.Name, &t.Description, &origins, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(origins), &t.Origins); err != nil {
		return nil, fmt.Errorf("template %s origins: %w", t.ID, err)
	}
	t.CreatedAt = fromMS(created)
	return &t, nil
}

func (db *DB) template(ctx context.Context, tx *sql.Tx, tenantID, id string) (*interact.DomainTemplate, error) {
	t, err := scanTemplate(tx.QueryRowContext(ctx, `SELECT `+templateCols+` FROM domain_templates WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("domain template", id)
	}
	return t, err
}

// templates returns all of a tenant's templates.
func (db *DB) templates(ctx context.Context, tx *sql.Tx, tenantID string) ([]interact.DomainTemplate, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+templateCols+` FROM domain_templates WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []interact.DomainTemplate
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// DomainTemplates lists the templates the actor can read.
func (db *DB) DomainTemplates(ctx context.Context, a interact.Actor) ([]interact.DomainTemplate, error) {
	out := []interact.DomainTemplate{}
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		all, err := db.templates(ctx, tx, a.TenantID)
		for _, t := range all {
			if a.ReadsOU(tree, t.OUID) {
				out = append(out, t)
			}
		}
		return err
	})
	return out, err
}

// DomainTemplate returns one template the actor can read.
func (db *DB) DomainTemplate(ctx context.Context, a interact.Actor, id string) (*interact.DomainTemplate, error) {
	var t *interact.DomainTemplate
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		t, err = db.template(ctx, tx, a.TenantID, id)
		if err == nil && !a.ReadsOU(tree, t.OUID) {
			err = notFound("domain template", id)
		}
		return err
	})
	return t, err
}

// CreateDomainTemplate creates a template in an OU the actor administers.
func (db *DB) CreateDomainTemplate(ctx context.Context, a interact.Actor, t interact.DomainTemplate) (*interact.DomainTemplate, error) {
	t.ID, t.TenantID, t.CreatedAt = interact.NewID(), a.TenantID, db.now().UTC().Truncate(1e6)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, t.OUID); err != nil {
			return err
		}
		origins, _ := json.Marshal(t.Origins)
		if _, err := tx.ExecContext(ctx, `INSERT INTO domain_templates (`+templateCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, t.TenantID, t.OUID, t.Name, t.Description, string(origins), ms(t.CreatedAt)); err != nil {
			return db.conflict(err, "A domain template named %q already exists.", t.Name)
		}
		return db.audit(ctx, tx, a, "domain_template.create", "domain_template", t.ID, nil, t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// UpdateDomainTemplate changes a template. Moving it to another OU keeps it
// working wherever it is already selected.
func (db *DB) UpdateDomainTemplate(ctx context.Context, a interact.Actor, id string, upd interact.DomainTemplateUpdate) (*interact.DomainTemplate, error) {
	var out *interact.DomainTemplate
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, before, err := db.adminTemplate(ctx, tx, a, id)
		if err != nil {
			return err
		}
		after := *before
		upd.Apply(&after)
		if err := after.Validate(); err != nil {
			return err
		}
		if after.OUID != before.OUID {
			if err := db.checkAdminsOU(a, tree, after.OUID); err != nil {
				return err
			}
		}
		origins, _ := json.Marshal(after.Origins)
		if _, err := tx.ExecContext(ctx, `UPDATE domain_templates SET ou_id = $1, name = $2, description = $3, origins = $4
			WHERE tenant_id = $5 AND id = $6`, after.OUID, after.Name, after.Description, string(origins), a.TenantID, id); err != nil {
			return db.conflict(err, "A domain template named %q already exists.", after.Name)
		}
		out = &after
		return db.audit(ctx, tx, a, "domain_template.update", "domain_template", id, before, after)
	})
	return out, err
}

// DeleteDomainTemplate deletes a template that no service or user selects.
func (db *DB) DeleteDomainTemplate(ctx context.Context, a interact.Actor, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, before, err := db.adminTemplate(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var n int
		// The foreign key refuses the delete too; this names the reason.
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM selected_domain_templates WHERE template_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return interact.Errorf(interact.ECONFLICT, "Domain template %q is selected by %d service(s) or user(s); deselect it first.", before.Name, n)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM domain_templates WHERE tenant_id = $1 AND id = $2`, a.TenantID, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "domain_template.delete", "domain_template", id, before, nil)
	})
}

func (db *DB) adminTemplate(ctx context.Context, tx *sql.Tx, a interact.Actor, id string) (interact.OUTree, *interact.DomainTemplate, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	t, err := db.template(ctx, tx, a.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if !a.ReadsOU(tree, t.OUID) {
		return nil, nil, notFound("domain template", id)
	}
	if !a.AdminsOU(tree, t.OUID) {
		return nil, nil, forbidden("You may not change templates in this OU.")
	}
	return tree, t, nil
}
