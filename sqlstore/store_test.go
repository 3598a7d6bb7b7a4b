package sqlstore_test

// The store tests run every test body twice, as subtests named after the
// engine: on SQLite, and on PostgreSQL when INTERACT_TEST_DATABASE_URL names
// a database (scripts/test.sh starts one). They use nothing specific to one
// engine, and every name and e-mail address carries a per-test suffix, so
// the PostgreSQL runs can share one database.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// pw is every fixture user's password.
const pw = "correct horse battery staple"

// Engines are the subtest names of eachEngine.
const (
	engineSQLite   = "sqlite"
	enginePostgres = "postgres"
)

// eachEngine runs body as a parallel subtest per engine.
func eachEngine(t *testing.T, body func(t *testing.T)) {
	t.Parallel()
	t.Run(engineSQLite, body)
	if postgresURL() != "" {
		t.Run(enginePostgres, body)
	}
}

func postgresURL() string { return os.Getenv("INTERACT_TEST_DATABASE_URL") }

// engineOf returns the engine a test runs on: the name of its eachEngine
// subtest.
func engineOf(t *testing.T) string {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	if len(parts) < 2 || (parts[1] != engineSQLite && parts[1] != enginePostgres) {
		t.Fatalf("%s: store tests run under eachEngine", t.Name())
	}
	return parts[1]
}

// storeURL returns the database URL of the test's engine: a fresh SQLite
// file in the test's temporary directory, or the shared PostgreSQL database.
func storeURL(t *testing.T) string {
	t.Helper()
	if engineOf(t) == enginePostgres {
		return postgresURL()
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
}

// openStore opens a store on the test's engine, closed when the test ends.
func openStore(t *testing.T) *sqlstore.DB {
	t.Helper()
	return openURL(t, storeURL(t))
}

func openURL(t testing.TB, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db
}

// world is the standard fixture:
//
//	Hosting: op (operator and tenant admin, created by the system)
//	A "Acme": root ─┬─ EMEA ─┬─ CH   adminA (tenantAdmin) in root
//	                │        └─ DE   emeaAdmin (ouAdmin of EMEA) in EMEA
//	                └─ APAC          agent (no roles; CC+IM licences) in CH
//	B "Beta": rootB                  adminB (tenantAdmin) in rootB
//
// adminA and adminB are not operators.
type world struct {
	db  *sqlstore.DB
	sfx string // makes e-mail addresses unique in a shared database

	op interact.Actor

	a                        *interact.Tenant
	adminA                   interact.Actor
	root, emea, ch, de, apac string
	emeaAdmin                interact.Actor
	agent                    interact.Actor

	b      *interact.Tenant
	adminB interact.Actor
	rootB  string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{db: openStore(t), sfx: interact.NewID()[18:]}
	_, op, err := w.db.CreateTenant(t.Context(), interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Hosting " + w.sfx}, AdminEmail: w.email("operator"), AdminPassword: pw,
	})
	noErr(t, err)
	w.op = actorOf(op)

	var admin *interact.User
	w.a, admin = w.tenant(t, "Acme", "admin-a")
	w.adminA, w.root = actorOf(admin), admin.OUID
	w.emea = w.ou(t, w.adminA, "EMEA", w.root)
	w.ch = w.ou(t, w.adminA, "CH", w.emea)
	w.de = w.ou(t, w.adminA, "DE", w.emea)
	w.apac = w.ou(t, w.adminA, "APAC", w.root)
	w.emeaAdmin = actorOf(w.user(t, w.adminA, "emea-admin", w.emea, interact.Licenses{}, ouAdmin(w.emea)))
	w.agent = actorOf(w.user(t, w.adminA, "agent", w.ch, interact.Licenses{ContactCenter: true, InstantMessaging: true}))

	w.b, admin = w.tenant(t, "Beta", "admin-b")
	w.adminB, w.rootB = actorOf(admin), admin.OUID
	return w
}

// email returns a per-world unique address for name.
func (w *world) email(name string) string { return name + "-" + w.sfx + "@example.test" }

// tenant creates a tenant as the operator and returns it with its admin.
func (w *world) tenant(t *testing.T, name, admin string) (*interact.Tenant, *interact.User) {
	t.Helper()
	tn, u, err := w.db.CreateTenant(t.Context(), w.op, interact.NewTenant{
		Tenant: interact.Tenant{Name: name + " " + w.sfx}, AdminEmail: w.email(admin), AdminName: admin, AdminPassword: pw,
	})
	noErr(t, err)
	return tn, u
}

func (w *world) ou(t *testing.T, a interact.Actor, name, parent string) string {
	t.Helper()
	o, err := w.db.CreateOU(t.Context(), a, interact.OU{Name: name, ParentID: &parent})
	noErr(t, err)
	return o.ID
}

func (w *world) user(t *testing.T, a interact.Actor, name, ou string, lic interact.Licenses, roles ...interact.Role) *interact.User {
	t.Helper()
	u, err := w.db.CreateUser(t.Context(), a, interact.User{Email: w.email(name), Name: name, OUID: ou, Licenses: lic, Roles: roles}, pw)
	noErr(t, err)
	return u
}

func (w *world) service(t *testing.T, a interact.Actor, name, ou string, lic interact.ServiceLicense, addon bool) *interact.Service {
	t.Helper()
	s, err := w.db.CreateService(t.Context(), a, interact.Service{Name: name, OUID: ou, License: lic, InteractLicense: addon})
	noErr(t, err)
	return s
}

func (w *world) template(t *testing.T, a interact.Actor, name, ou string, origins ...string) *interact.DomainTemplate {
	t.Helper()
	d, err := w.db.CreateDomainTemplate(t.Context(), a, interact.DomainTemplate{Name: name, OUID: ou, Origins: origins})
	noErr(t, err)
	return d
}

// setInteract switches a tenant's Interact feature on or off as its admin.
func (w *world) setInteract(t *testing.T, admin interact.Actor, on bool) {
	t.Helper()
	_, err := w.db.UpdateTenant(t.Context(), admin, admin.TenantID, interact.TenantUpdate{InteractEnabled: &on})
	noErr(t, err)
}

// snapshot is everything a tenant admin can read of their tenant, and the
// world's tenants as the operator sees them. Refusals must leave it exactly
// as it was.
type snapshot struct {
	Tenants     []interact.Tenant
	Tenant      *interact.Tenant
	OUs         []interact.OU
	Users       []interact.User
	Services    []interact.Service
	Members     map[string][]interact.Member
	Templates   []interact.DomainTemplate
	Interact    map[string]*interact.InteractSettings // by owner id, while available
	InteractErr map[string]string                     // by owner id, the gate's code otherwise
	Tokens      map[string][]interact.APIToken
	Calendars   []interact.HolidayCalendar
	Hours       map[string]*interact.ServiceHours // by service id
	LastAudit   string
}

func (w *world) snap(t *testing.T, admin interact.Actor) snapshot {
	t.Helper()
	ctx := t.Context()
	s := snapshot{
		Members: map[string][]interact.Member{}, Interact: map[string]*interact.InteractSettings{},
		InteractErr: map[string]string{}, Tokens: map[string][]interact.APIToken{}, Hours: map[string]*interact.ServiceHours{},
	}
	all, err := w.db.Tenants(ctx, w.op)
	noErr(t, err)
	for _, tn := range all {
		if strings.Contains(tn.Name, w.sfx) { // other tests may share the database
			s.Tenants = append(s.Tenants, tn)
		}
	}
	s.Tenant, err = w.db.Tenant(ctx, admin, admin.TenantID)
	noErr(t, err)
	s.OUs, err = w.db.OUs(ctx, admin)
	noErr(t, err)
	s.Users, err = w.db.Users(ctx, admin)
	noErr(t, err)
	s.Services, err = w.db.Services(ctx, admin)
	noErr(t, err)
	s.Templates, err = w.db.DomainTemplates(ctx, admin)
	noErr(t, err)
	s.Calendars, err = w.db.HolidayCalendars(ctx, admin)
	noErr(t, err)
	settings := func(kind, id string) {
		is, err := w.db.Interact(ctx, admin, kind, id)
		if err != nil {
			s.InteractErr[id] = interact.ErrorCode(err)
			return
		}
		s.Interact[id] = is
	}
	for _, sv := range s.Services {
		s.Members[sv.ID], err = w.db.Members(ctx, admin, sv.ID)
		noErr(t, err)
		settings(interact.OwnerService, sv.ID)
		s.Hours[sv.ID], err = w.db.ServiceHours(ctx, admin, sv.ID)
		noErr(t, err)
	}
	for _, u := range s.Users {
		s.Tokens[u.ID], err = w.db.APITokens(ctx, admin, u.ID)
		noErr(t, err)
		settings(interact.OwnerUser, u.ID)
	}
	entries, _, err := w.db.AuditEntries(ctx, admin, interact.AuditFilter{Limit: 1})
	noErr(t, err)
	if len(entries) > 0 {
		s.LastAudit = entries[0].ID
	}
	return s
}

// refusal is an operation that must fail with code and change nothing.
type refusal struct {
	name string
	code string
	do   func(ctx context.Context) error
}

// refuse runs each case as a subtest: it must fail with its code and leave
// both tenants A and B exactly as they were (no audit entry either).
func (w *world) refuse(t *testing.T, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Helper()
			beforeA, beforeB := w.snap(t, w.adminA), w.snap(t, w.adminB)
			err := c.do(t.Context())
			if got := interact.ErrorCode(err); got != c.code {
				t.Errorf("error code = %q, want %q (err: %v)", got, c.code, err)
			}
			if diff := cmp.Diff(beforeA, w.snap(t, w.adminA)); diff != "" {
				t.Errorf("tenant A changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeB, w.snap(t, w.adminB)); diff != "" {
				t.Errorf("tenant B changed (-before +after):\n%s", diff)
			}
		})
	}
}

// errOf keeps only the error of a (value, error) result.
func errOf[T any](_ T, err error) error { return err }

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := interact.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}

func actorOf(u *interact.User) interact.Actor {
	return interact.Actor{UserID: u.ID, TenantID: u.TenantID, Email: u.Email, Roles: u.Roles}
}

func ouAdmin(ou string) interact.Role { return interact.Role{Role: interact.RoleOUAdmin, ScopeID: ou} }

func serviceOwner(id string) interact.Role {
	return interact.Role{Role: interact.RoleServiceOwner, ScopeID: id}
}

var tenantAdmin = interact.Role{Role: interact.RoleTenantAdmin}

func ptr[T any](v T) *T { return &v }

// ids returns the ids of items, for set comparisons.
func ids[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func ouIDs(os []interact.OU) []string { return ids(os, func(o interact.OU) string { return o.ID }) }
func userIDs(us []interact.User) []string {
	return ids(us, func(u interact.User) string { return u.ID })
}
func serviceIDs(ss []interact.Service) []string {
	return ids(ss, func(s interact.Service) string { return s.ID })
}
func templateIDs(ts []interact.DomainTemplate) []string {
	return ids(ts, func(d interact.DomainTemplate) string { return d.ID })
}

// wantSet compares two id lists ignoring order.
func wantSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// TestConcurrentWrites checks that concurrent writers queue rather than fail
// (SQLite: one write connection; PostgreSQL: real concurrency) and that
// readers running alongside see consistent data.
func TestConcurrentWrites(t *testing.T) { eachEngine(t, testConcurrentWrites) }

func testConcurrentWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const writers, each = 4, 10
	before, err := w.db.OUs(t.Context(), w.adminA)
	noErr(t, err)
	errs := make(chan error, writers*each*2)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range each {
				parent := w.apac
				_, err := w.db.CreateOU(t.Context(), w.adminA, interact.OU{Name: fmt.Sprintf("W%d-%d", i, j), ParentID: &parent})
				errs <- err
				_, err = w.db.OUs(t.Context(), w.adminA)
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, err)
	}
	after, err := w.db.OUs(t.Context(), w.adminA)
	noErr(t, err)
	if got, want := len(after)-len(before), writers*each; got != want {
		t.Errorf("%d OUs created, want %d", got, want)
	}
	entries, _, err := w.db.AuditEntries(t.Context(), w.adminA, interact.AuditFilter{Action: "ou.create", Limit: interact.MaxAuditPage})
	noErr(t, err)
	if got := len(entries); got != writers*each+4 { // + EMEA, CH, DE, APAC
		t.Errorf("%d ou.create entries, want %d", got, writers*each+4)
	}
}
