package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/interact-oss/interact"
)

const interactCols = `owner_id, owner_kind, tenant_id, active, audio_video, instant_message, restrict_access,
	contact_id, widget_key, previous_widget_key, previous_key_valid_until, ratings, visitor_history`

// scanInteract reads a row of interact_settings; readSelection then fills
// the selected templates.
func scanInteract(row interface{ Scan(...any) error }) (*interact.InteractSettings, error) {
	var s interact.InteractSettings
	var until int64
	if err := row.Scan(&s.OwnerID, &s.OwnerKind, &s.TenantID, &s.Active, &s.AudioVideo, &s.InstantMessage, &s.RestrictAccess,
		&s.ContactID, &s.WidgetKey, &s.PreviousWidgetKey, &until, &s.Ratings, &s.VisitorHistory); err != nil {
		return nil, err
	}
	if until > 0 {
		t := fromMS(until)
		s.PreviousKeyValidUntil = &t
	}
	return &s, nil
}

// readSelection fills s.DomainTemplateIDs from selected_domain_templates,
// in the order they were selected.
func (db *DB) readSelection(ctx context.Context, tx *sql.Tx, s *interact.InteractSettings) error {
	rows, err := tx.QueryContext(ctx, `SELECT template_id FROM selected_domain_templates WHERE owner_id = $1 ORDER BY position`, s.OwnerID)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.DomainTemplateIDs = []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		s.DomainTemplateIDs = append(s.DomainTemplateIDs, id)
	}
	return rows.Err()
}

func (db *DB) insertInteract(ctx context.Context, tx *sql.Tx, s *interact.InteractSettings) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO interact_settings (`+interactCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		s.OwnerID, s.OwnerKind, s.TenantID, s.Active, s.AudioVideo, s.InstantMessage, s.RestrictAccess,
		s.ContactID, s.WidgetKey, "", 0, s.Ratings, s.VisitorHistory)
	return err
}

// saveInteract writes the settings and, when it changed, the selection.
func (db *DB) saveInteract(ctx context.Context, tx *sql.Tx, before, s *interact.InteractSettings) error {
	var until int64
	if s.PreviousKeyValidUntil != nil {
		until = ms(*s.PreviousKeyValidUntil)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE interact_settings SET active = $1, audio_video = $2, instant_message = $3, restrict_access = $4,
		widget_key = $5, previous_widget_key = $6, previous_key_valid_until = $7, ratings = $8, visitor_history = $9
		WHERE tenant_id = $10 AND owner_id = $11`,
		s.Active, s.AudioVideo, s.InstantMessage, s.RestrictAccess, s.WidgetKey, s.PreviousWidgetKey, until, s.Ratings, s.VisitorHistory,
		s.TenantID, s.OwnerID); err != nil {
		return err
	}
	if slices.Equal(before.DomainTemplateIDs, s.DomainTemplateIDs) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM selected_domain_templates WHERE owner_id = $1`, s.OwnerID); err != nil {
		return err
	}
	for i, id := range s.DomainTemplateIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO selected_domain_templates (owner_id, owner_kind, template_id, position) VALUES ($1, $2, $3, $4)`,
			s.OwnerID, s.OwnerKind, id, i); err != nil {
			return err
		}
	}
	return nil
}

// interactOwner loads the settings of a service or user the actor manages,
// after checking the Interact gate. It also returns the owner's OU and the tree.
func (db *DB) interactOwner(ctx context.Context, tx *sql.Tx, a interact.Actor, kind, id string) (*interact.InteractSettings, string, interact.OUTree, error) {
	tenant, err := db.tenant(ctx, tx, a.TenantID)
	if err != nil {
		return nil, "", nil, err
	}
	var tree interact.OUTree
	var ouID string
	switch kind {
	case interact.OwnerService:
		var s *interact.Service
		tree, s, err = db.managedService(ctx, tx, a, id)
		if err != nil {
			return nil, "", nil, err
		}
		if err := s.InteractGate(tenant); err != nil {
			return nil, "", nil, err
		}
		ouID = s.OUID
	case interact.OwnerUser:
		var u *interact.User
		tree, u, err = db.adminUser(ctx, tx, a, id)
		if err != nil {
			return nil, "", nil, err
		}
		if err := u.InteractGate(tenant); err != nil {
			return nil, "", nil, err
		}
		ouID = u.OUID
	default:
		return nil, "", nil, interact.Errorf(interact.EINVALID, "Unknown owner kind %q.", kind)
	}
	s, err := scanInteract(tx.QueryRowContext(ctx, `SELECT `+interactCols+` FROM interact_settings WHERE tenant_id = $1 AND owner_id = $2`, a.TenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil, notFound(kind, id)
	}
	if err == nil {
		err = db.readSelection(ctx, tx, s)
	}
	if err != nil {
		return nil, "", nil, err
	}
	if kind == interact.OwnerService {
		s.Active = true
	}
	return s, ouID, tree, nil
}

// selectable fills s.SelectableDomainTemplates: the templates in the owner's
// OU or an ancestor.
func (db *DB) selectable(ctx context.Context, tx *sql.Tx, s *interact.InteractSettings, ouID string, tree interact.OUTree) error {
	all, err := templates.all(ctx, tx, s.TenantID)
	if err != nil {
		return err
	}
	s.SelectableDomainTemplates = []interact.DomainTemplate{}
	for _, t := range all {
		if tree.Visible(t.OUID, ouID) {
			s.SelectableDomainTemplates = append(s.SelectableDomainTemplates, t)
		}
	}
	return nil
}

// Interact returns the Interact settings of a service or user (kind is
// interact.OwnerService or interact.OwnerUser) with the templates selectable
// for it. It fails with not_licensed, addon_missing or interact_disabled
// while the tab is unavailable; the settings are kept meanwhile.
func (db *DB) Interact(ctx context.Context, a interact.Actor, kind, id string) (*interact.InteractSettings, error) {
	var s *interact.InteractSettings
	err := db.view(ctx, func(tx *sql.Tx) error {
		var ouID string
		var tree interact.OUTree
		var err error
		s, ouID, tree, err = db.interactOwner(ctx, tx, a, kind, id)
		if err != nil {
			return err
		}
		return db.selectable(ctx, tx, s, ouID, tree)
	})
	return s, err
}

// UpdateInteract changes Interact settings. Restrict Access needs at least
// one selected template; a template may be newly selected only while it is
// in the owner's OU or above, but one already selected stays selected even
// after it moved out of reach.
func (db *DB) UpdateInteract(ctx context.Context, a interact.Actor, kind, id string, upd interact.InteractUpdate) (*interact.InteractSettings, error) {
	var out *interact.InteractSettings
	err := db.tx(ctx, func(tx *sql.Tx) error {
		before, ouID, tree, err := db.interactOwner(ctx, tx, a, kind, id)
		if err != nil {
			return err
		}
		if err := db.selectable(ctx, tx, before, ouID, tree); err != nil {
			return err
		}
		can := map[string]bool{}
		for _, t := range before.SelectableDomainTemplates {
			can[t.ID] = true
		}
		after := *before
		upd.Apply(&after)
		if err := after.CheckSelection(before.DomainTemplateIDs, func(id string) bool { return can[id] }); err != nil {
			return err
		}
		if err := db.saveInteract(ctx, tx, before, &after); err != nil {
			return err
		}
		out = &after
		return db.audit(ctx, tx, a, "interact.update", kind, id, auditInteract(before), auditInteract(&after))
	})
	return out, err
}

// RotateWidgetKey gives a service or user a new widget key. The old key
// stays valid for grace (bounded by interact.MaxKeyGrace).
func (db *DB) RotateWidgetKey(ctx context.Context, a interact.Actor, kind, id string, grace time.Duration) (*interact.InteractSettings, error) {
	if grace < 0 || grace > interact.MaxKeyGrace {
		return nil, interact.Errorf(interact.EINVALID, "The grace period must be between 0 and %d seconds.", int(interact.MaxKeyGrace.Seconds()))
	}
	var out *interact.InteractSettings
	err := db.tx(ctx, func(tx *sql.Tx) error {
		before, ouID, tree, err := db.interactOwner(ctx, tx, a, kind, id)
		if err != nil {
			return err
		}
		if err := db.selectable(ctx, tx, before, ouID, tree); err != nil {
			return err
		}
		after := *before
		after.Rotate(db.now(), grace)
		if err := db.saveInteract(ctx, tx, before, &after); err != nil {
			return err
		}
		out = &after
		return db.audit(ctx, tx, a, "interact.rotate_key", kind, id, auditInteract(before), auditInteract(&after))
	})
	return out, err
}

// auditInteract is what the audit log keeps of Interact settings: the
// settings and keys, not the derived snippet and template list.
func auditInteract(s *interact.InteractSettings) map[string]any {
	return map[string]any{
		"active": s.Active, "audioVideo": s.AudioVideo, "instantMessage": s.InstantMessage,
		"restrictAccess": s.RestrictAccess, "domainTemplateIds": s.DomainTemplateIDs, "ratings": s.Ratings,
		"visitorHistory": s.VisitorHistory, "contactId": s.ContactID, "widgetKey": s.WidgetKey, "previousKeyValidUntil": s.PreviousKeyValidUntil,
	}
}

// ContactByID returns the contact with the given Contact ID, or
// unknown_contact. tenantID, when not empty, restricts the look-up to one
// tenant (the admin API's origin check).
func (db *DB) ContactByID(ctx context.Context, tenantID, contactID string) (*interact.Contact, error) {
	var c interact.Contact
	err := db.view(ctx, func(tx *sql.Tx) error {
		s, err := scanInteract(tx.QueryRowContext(ctx, `SELECT `+interactCols+` FROM interact_settings WHERE contact_id = $1`, contactID))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && tenantID != "" && s.TenantID != tenantID) {
			return interact.Errorf(interact.EUNKNOWNCONTACT, "No contact with id %q.", contactID)
		}
		if err == nil {
			err = db.readSelection(ctx, tx, s)
		}
		if err != nil {
			return err
		}
		c.Settings = s
		if c.Tenant, err = db.tenant(ctx, tx, s.TenantID); err != nil {
			return err
		}
		if s.OwnerKind == interact.OwnerService {
			s.Active = true
			if c.Service, err = db.service(ctx, tx, s.TenantID, s.OwnerID); err == nil {
				c.Hours, err = db.serviceHours(ctx, tx, s.TenantID, s.OwnerID)
			}
		} else {
			c.User, err = db.user(ctx, tx, s.TenantID, s.OwnerID)
		}
		if err != nil {
			return err
		}
		for _, id := range s.DomainTemplateIDs {
			t, err := templates.one(ctx, tx, s.TenantID, id)
			if err != nil {
				return err
			}
			c.Templates = append(c.Templates, *t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}
