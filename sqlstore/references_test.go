package sqlstore_test

// References between entities (selected domain templates, overflow
// targets) are relations with foreign keys: a referenced template or
// service cannot be deleted, deleting the owner releases its references,
// and migration 0008 carried the references of the JSON columns over.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

func TestDeleteSelectedTemplate(t *testing.T) { eachEngine(t, testDeleteSelectedTemplate) }

func testDeleteSelectedTemplate(t *testing.T) {
	t.Parallel()
	forEachOwner(t, func(t *testing.T, w *world, o owner) {
		ctx := t.Context()
		w.enable(t, o)
		shops := w.template(t, w.adminA, "Shops", w.emea, "https://shop.example.test")
		blog := w.template(t, w.adminA, "Blog", w.root, "https://blog.example.test")
		sel := func(ids ...string) interact.InteractUpdate { return interact.InteractUpdate{DomainTemplateIDs: &ids} }
		noErr(t, w.updateInteract(o, sel(blog.ID, shops.ID))(ctx))

		deleteTemplate := func(d *interact.DomainTemplate, selectedBy int) refusal {
			return refusal{fmt.Sprintf("delete %s selected by %d", d.Name, selectedBy), interact.ECONFLICT, func(ctx context.Context) error {
				err := w.db.DeleteDomainTemplate(ctx, w.adminA, d.ID)
				want := fmt.Sprintf("Domain template %q is selected by %d service(s) or user(s); deselect it first.", d.Name, selectedBy)
				if got := interact.ErrorMessage(err); got != want {
					t.Errorf("message = %q, want %q", got, want)
				}
				return err
			}}
		}
		w.refuse(t, []refusal{deleteTemplate(shops, 1), deleteTemplate(blog, 1)})

		// A second owner selecting the same template counts too.
		other := w.service(t, w.adminA, "Other desk", w.ch, interact.LicenseContactCenter, true)
		_, err := w.db.UpdateInteract(ctx, w.adminA, interact.OwnerService, other.ID, sel(shops.ID))
		noErr(t, err)
		w.refuse(t, []refusal{deleteTemplate(shops, 2)})

		// Deselected by o, Blog can go; Shops is still selected by the other service.
		noErr(t, w.updateInteract(o, sel(shops.ID))(ctx))
		if got := w.settings(t, o).DomainTemplateIDs; !cmp.Equal(got, []string{shops.ID}) {
			t.Errorf("selection after deselecting Blog = %v", got)
		}
		noErr(t, w.db.DeleteDomainTemplate(ctx, w.adminA, blog.ID))
		wantCode(t, errOf(w.db.DomainTemplate(ctx, w.adminA, blog.ID)), interact.ENOTFOUND)
		noErr(t, w.db.DeleteService(ctx, w.adminA, other.ID))
		w.refuse(t, []refusal{deleteTemplate(shops, 1)})

		// Deleting the owner releases its selection.
		if o.kind == interact.OwnerService {
			noErr(t, w.db.DeleteService(ctx, w.adminA, o.id))
		} else {
			noErr(t, w.db.DeleteUser(ctx, w.adminA, o.id))
		}
		noErr(t, w.db.DeleteDomainTemplate(ctx, w.adminA, shops.ID))
		wantCode(t, errOf(w.db.DomainTemplate(ctx, w.adminA, shops.ID)), interact.ENOTFOUND)
	})
}

func TestDeleteOverflowTarget(t *testing.T) { eachEngine(t, testDeleteOverflowTarget) }

func testDeleteOverflowTarget(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	support := w.service(t, w.adminA, "Support", w.ch, "", false)
	sales := w.service(t, w.adminA, "Sales", w.de, "", false)
	backup := w.service(t, w.adminA, "Backup", w.root, "", false)
	overflowTo := func(s *interact.Service, target string) *interact.Service {
		t.Helper()
		d := s.Distribution
		d.OverflowAction, d.OverflowServiceID = interact.OverflowTransfer, target
		if target == "" {
			d.OverflowAction = interact.OverflowMessage
		}
		got, err := w.db.UpdateService(ctx, w.adminA, s.ID, interact.ServiceUpdate{Distribution: &d})
		noErr(t, err)
		read, err := w.db.Service(ctx, w.adminA, s.ID)
		noErr(t, err)
		if read.Distribution.OverflowServiceID != target || !cmp.Equal(got, read) {
			t.Fatalf("overflow to %q: returned %+v, read %+v", target, got.Distribution, read.Distribution)
		}
		return read
	}
	deleteService := func(s *interact.Service, sources int) refusal {
		return refusal{fmt.Sprintf("delete %s, overflow target of %d", s.Name, sources), interact.ECONFLICT, func(ctx context.Context) error {
			err := w.db.DeleteService(ctx, w.adminA, s.ID)
			want := fmt.Sprintf("%d service(s) overflow to this service; change their distribution first.", sources)
			if got := interact.ErrorMessage(err); got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
			return err
		}}
	}

	support = overflowTo(support, sales.ID)
	backup = overflowTo(backup, sales.ID)
	w.refuse(t, []refusal{deleteService(sales, 2)})
	backup = overflowTo(backup, "")
	w.refuse(t, []refusal{deleteService(sales, 1)})

	// Retargeting releases the old target and holds the new one.
	support = overflowTo(support, backup.ID)
	w.refuse(t, []refusal{deleteService(backup, 1)})
	noErr(t, w.db.DeleteService(ctx, w.adminA, sales.ID))

	// A service that overflows elsewhere can itself be deleted, and then no
	// longer holds its target.
	noErr(t, w.db.DeleteService(ctx, w.adminA, support.ID))
	noErr(t, w.db.DeleteService(ctx, w.adminA, backup.ID))
	wantCode(t, errOf(w.db.Service(ctx, w.adminA, backup.ID)), interact.ENOTFOUND)
}

func TestMigrateReferences(t *testing.T) { eachEngine(t, testMigrateReferences) }

// testMigrateReferences builds a database at the schema before 0007, with
// references in the JSON columns as earlier versions wrote them, and opens
// it: the references are relations afterwards.
func testMigrateReferences(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	var url, driver, dsn string
	if engineOf(t) == enginePostgres {
		url = freshPostgresDatabase(t)
		driver, dsn = "pgx", url
	} else {
		path := filepath.Join(t.TempDir(), "old.db")
		url, driver, dsn = "sqlite:"+path, "sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
	}
	noErr(t, sqlstore.MigrateBefore(ctx, url, "0007_references.sql"))
	raw, err := sql.Open(driver, dsn)
	noErr(t, err)
	defer raw.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	now := time.Now().UnixMilli()
	tenant, root, admin, agent := interact.NewID(), interact.NewID(), interact.NewID(), interact.NewID()
	support, sales := interact.NewID(), interact.NewID()
	shops, blog, spare := interact.NewID(), interact.NewID(), interact.NewID()
	exec(`INSERT INTO tenants (id, name, state, interact_enabled, im_enabled, created_at) VALUES ($1, 'Old', $2, TRUE, TRUE, $3)`,
		tenant, interact.TenantActive, now)
	exec(`INSERT INTO ous (id, tenant_id, name, parent_id, created_at) VALUES ($1, $2, 'Root', NULL, $3)`, root, tenant, now)
	exec(`INSERT INTO users (id, tenant_id, ou_id, email, name, lic_contact_center, lic_interact, roles, created_at)
		VALUES ($1, $2, $3, 'agent@old.example.test', 'Agent', TRUE, TRUE, '[]', $4)`, agent, tenant, root, now)
	dist := func(target string) string {
		d := interact.Distribution{}
		if target != "" {
			d.OverflowAction, d.OverflowServiceID, d.MaxWaitSeconds = interact.OverflowTransfer, target, 60
		}
		noErr(t, d.Validate())
		b, err := json.Marshal(d)
		noErr(t, err)
		return string(b)
	}
	for _, s := range []struct{ id, name, dist string }{{support, "Support", dist(sales)}, {sales, "Sales", dist("")}} {
		exec(`INSERT INTO services (id, tenant_id, ou_id, name, license, interact_license, distribution, created_at)
			VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7)`, s.id, tenant, root, s.name, interact.LicenseContactCenter, s.dist, now)
	}
	for _, d := range []struct{ id, name string }{{shops, "Shops"}, {blog, "Blog"}, {spare, "Spare"}} {
		exec(`INSERT INTO domain_templates (id, tenant_id, ou_id, name, origins, created_at) VALUES ($1, $2, $3, $4, '["https://old.example.test"]', $5)`,
			d.id, tenant, root, d.name, now)
	}
	for _, s := range []struct{ id, kind, templates string }{
		{support, interact.OwnerService, `["` + shops + `","gone"]`}, // "gone": a template deleted before the checks existed
		{sales, interact.OwnerService, `[]`},
		{agent, interact.OwnerUser, `["` + blog + `", "` + shops + `"]`},
	} {
		exec(`INSERT INTO interact_settings (owner_id, owner_kind, tenant_id, template_ids, contact_id, widget_key) VALUES ($1, $2, $3, $4, $5, $6)`,
			s.id, s.kind, tenant, s.templates, interact.NewID(), "wk_"+interact.NewID())
	}

	db := openURL(t, url)
	a := interact.Actor{UserID: admin, TenantID: tenant, Email: "admin@old.example.test", Roles: []interact.Role{tenantAdmin}}
	for _, c := range []struct {
		kind, id string
		want     []string
	}{{interact.OwnerService, support, []string{shops}}, {interact.OwnerService, sales, []string{}}, {interact.OwnerUser, agent, []string{blog, shops}}} {
		s, err := db.Interact(ctx, a, c.kind, c.id)
		noErr(t, err)
		if diff := cmp.Diff(c.want, s.DomainTemplateIDs); diff != "" {
			t.Errorf("%s %s: selection carried over (-want +got):\n%s", c.kind, c.id, diff)
		}
	}
	s, err := db.Service(ctx, a, support)
	noErr(t, err)
	want := interact.Distribution{OverflowAction: interact.OverflowTransfer, OverflowServiceID: sales, MaxWaitSeconds: 60}
	noErr(t, want.Validate())
	if diff := cmp.Diff(want, s.Distribution); diff != "" {
		t.Errorf("distribution carried over (-want +got):\n%s", diff)
	}
	var stored string
	noErr(t, raw.QueryRowContext(ctx, `SELECT distribution FROM services WHERE id = $1`, support).Scan(&stored))
	if strings.Contains(stored, "overflowServiceId") || strings.Contains(stored, sales) {
		t.Errorf("the distribution JSON still names the overflow target: %s", stored)
	}

	refused := func(what, wantMsg string, err error) {
		t.Helper()
		if interact.ErrorCode(err) != interact.ECONFLICT || interact.ErrorMessage(err) != wantMsg {
			t.Errorf("%s: got %v, want conflict %q", what, err, wantMsg)
		}
	}
	refused("delete Shops", `Domain template "Shops" is selected by 2 service(s) or user(s); deselect it first.`,
		db.DeleteDomainTemplate(ctx, a, shops))
	refused("delete Blog", `Domain template "Blog" is selected by 1 service(s) or user(s); deselect it first.`,
		db.DeleteDomainTemplate(ctx, a, blog))
	refused("delete Sales", `1 service(s) overflow to this service; change their distribution first.`,
		db.DeleteService(ctx, a, sales))
	// The foreign keys refuse what bypasses the store's checks.
	for _, q := range []struct{ sql, id string }{
		{`DELETE FROM domain_templates WHERE id = $1`, shops},
		{`DELETE FROM services WHERE id = $1`, sales},
	} {
		if _, err := raw.ExecContext(ctx, q.sql, q.id); err == nil {
			t.Errorf("%s (%s): no foreign key refused it", q.sql, q.id)
		}
	}
	if _, err := db.DomainTemplate(ctx, a, shops); err != nil {
		t.Errorf("Shops after the refusals: %v", err)
	}

	noErr(t, db.DeleteDomainTemplate(ctx, a, spare))
	noErr(t, db.DeleteService(ctx, a, support))
	noErr(t, db.DeleteService(ctx, a, sales))
	refused("delete Shops after Support", `Domain template "Shops" is selected by 1 service(s) or user(s); deselect it first.`,
		db.DeleteDomainTemplate(ctx, a, shops))
	noErr(t, db.DeleteUser(ctx, a, agent))
	noErr(t, db.DeleteDomainTemplate(ctx, a, shops))
	noErr(t, db.DeleteDomainTemplate(ctx, a, blog))
}
