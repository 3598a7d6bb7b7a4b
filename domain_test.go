package interact

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// tree: root → EMEA → {CH, DE}; root → APAC.
func testTree() OUTree {
	return OUTree{"root": "", "emea": "root", "ch": "emea", "de": "emea", "apac": "root"}
}

func TestOUTreeVisibility(t *testing.T) {
	tr := testTree()
	cases := []struct {
		item, from string
		want       bool
	}{
		{"root", "ch", true},  // read up to the root
		{"emea", "ch", true},  // parent
		{"ch", "ch", true},    // own OU
		{"de", "ch", false},   // sibling
		{"ch", "emea", false}, // descendant
		{"apac", "ch", false}, // cousin
		{"nope", "ch", false},
	}
	for _, c := range cases {
		t.Run(c.item+"_from_"+c.from, func(t *testing.T) {
			if got := tr.Visible(c.item, c.from); got != c.want {
				t.Errorf("Visible(%s, %s) = %v, want %v", c.item, c.from, got, c.want)
			}
		})
	}
	if got := tr.Path("ch"); !slices.Equal(got, []string{"ch", "emea", "root"}) {
		t.Errorf("Path(ch) = %v", got)
	}
}

func TestOUTreeCheckMove(t *testing.T) {
	tr := testTree()
	for _, c := range []struct {
		id, parent string
		code       string
	}{
		{"emea", "ch", EOUCYCLE},
		{"emea", "emea", EOUCYCLE},
		{"root", "apac", EOUCYCLE},
		{"ch", "apac", ""},
		{"de", "ch", ""},
	} {
		if got := ErrorCode(tr.CheckMove(c.id, c.parent)); got != c.code {
			t.Errorf("CheckMove(%s → %s) = %q, want %q", c.id, c.parent, got, c.code)
		}
	}
	// A corrupt tree with a cycle must not loop forever.
	cyc := OUTree{"a": "b", "b": "a"}
	if cyc.Within("a", "zzz") {
		t.Error("cycle: Within found a missing root")
	}
}

func TestActorPermissions(t *testing.T) {
	tr := testTree()
	admin := Actor{Roles: []Role{{Role: RoleTenantAdmin}}}
	emeaAdmin := Actor{Roles: []Role{{Role: RoleOUAdmin, ScopeID: "emea"}}}
	owner := Actor{Roles: []Role{{Role: RoleServiceOwner, ScopeID: "svc1"}}}
	agent := Actor{}
	svcCH := &Service{ID: "svc1", OUID: "ch"}
	svcAPAC := &Service{ID: "svc2", OUID: "apac"}

	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"tenant admin admins everything", admin.AdminsOU(tr, "apac"), true},
		{"ou admin admins its scope", emeaAdmin.AdminsOU(tr, "emea"), true},
		{"ou admin admins descendants", emeaAdmin.AdminsOU(tr, "de"), true},
		{"ou admin does not admin parent", emeaAdmin.AdminsOU(tr, "root"), false},
		{"ou admin does not admin cousin", emeaAdmin.AdminsOU(tr, "apac"), false},
		{"ou admin reads ancestors", emeaAdmin.ReadsOU(tr, "root"), true},
		{"ou admin does not read cousins", emeaAdmin.ReadsOU(tr, "apac"), false},
		{"ou admin manages service in subtree", emeaAdmin.ManagesService(tr, svcCH), true},
		{"ou admin does not manage service elsewhere", emeaAdmin.ManagesService(tr, svcAPAC), false},
		{"ou admin never manages service licences", emeaAdmin.ManagesServiceLicenses(), false},
		{"owner manages own service", owner.ManagesService(tr, svcCH), true},
		{"owner does not manage other service", owner.ManagesService(tr, svcAPAC), false},
		{"owner admins no OU", owner.AdminsOU(tr, "ch"), false},
		{"agent is no admin", agent.IsAdmin(), false},
		{"agent manages nothing", agent.ManagesService(tr, svcCH), false},
		{"tenant admin manages licences", admin.ManagesServiceLicenses(), true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestInteractGates(t *testing.T) {
	on := &Tenant{State: TenantActive, InteractEnabled: true}
	off := &Tenant{State: TenantActive}
	cases := []struct {
		name   string
		svc    Service
		tenant *Tenant
		code   string
	}{
		{"no contact center licence", Service{License: LicenseEnterpriseRouting, InteractLicense: true}, on, ENOTLICENSED},
		{"licence checked before the tenant switch", Service{License: LicenseAdvancedRouting}, off, ENOTLICENSED},
		{"no add-on", Service{License: LicenseContactCenter}, on, EADDONMISSING},
		{"tenant switch off", Service{License: LicenseContactCenter, InteractLicense: true}, off, EINTERACTOFF},
		{"available", Service{License: LicenseContactCenter, InteractLicense: true}, on, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ErrorCode(c.svc.InteractGate(c.tenant)); got != c.code {
				t.Errorf("got %q, want %q", got, c.code)
			}
		})
	}
	u := &User{Licenses: Licenses{ContactCenter: true}}
	if got := ErrorCode(u.InteractGate(on)); got != EADDONMISSING {
		t.Errorf("user without Interact licence: %q", got)
	}
	u.Licenses.Interact = true
	if got := ErrorCode(u.InteractGate(on)); got != "" {
		t.Errorf("licensed user: %q", got)
	}
}

func TestTenantAcceptsInteract(t *testing.T) {
	for state, code := range map[TenantState]string{
		TenantActive: "", TenantTrial: "", TenantSuspended: ETENANTINACTIVE, TenantExpired: ETENANTINACTIVE,
	} {
		tn := &Tenant{State: state, InteractEnabled: true}
		if got := ErrorCode(tn.AcceptsInteract()); got != code {
			t.Errorf("%s: got %q, want %q", state, got, code)
		}
	}
	if got := ErrorCode((&Tenant{State: TenantActive}).AcceptsInteract()); got != EINTERACTOFF {
		t.Errorf("switch off: %q", got)
	}
}

func TestTenantValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		t    Tenant
		ok   bool
	}{
		{"ok", Tenant{Name: "Acme", State: TenantActive, MaxConcurrentIMTasksPerService: 20}, true},
		{"cap 1", Tenant{Name: "Acme", State: TenantTrial, MaxConcurrentIMTasksPerService: 1}, true},
		{"cap 50", Tenant{Name: "Acme", State: TenantTrial, MaxConcurrentIMTasksPerService: 50}, true},
		{"cap 0", Tenant{Name: "Acme", State: TenantActive, MaxConcurrentIMTasksPerService: 0}, false},
		{"cap 51", Tenant{Name: "Acme", State: TenantActive, MaxConcurrentIMTasksPerService: 51}, false},
		{"bad state", Tenant{Name: "Acme", State: "canceled", MaxConcurrentIMTasksPerService: 20}, false},
		{"empty name", Tenant{Name: " ", State: TenantActive, MaxConcurrentIMTasksPerService: 20}, false},
		{"long name", Tenant{Name: strings.Repeat("x", MaxNameLen+1), State: TenantActive, MaxConcurrentIMTasksPerService: 20}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.t.Validate()
			if (err == nil) != c.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
			if err != nil && ErrorCode(err) != EINVALID {
				t.Errorf("code %q", ErrorCode(err))
			}
		})
	}
}

func TestCheckSelection(t *testing.T) {
	selectable := func(id string) bool { return id == "parent" || id == "own" }
	cases := []struct {
		name     string
		before   []string
		after    []string
		restrict bool
		code     string
	}{
		{"select visible", nil, []string{"parent"}, true, ""},
		{"sibling not selectable", nil, []string{"sibling"}, false, ENOTSELECTABLE},
		{"restrict without template", nil, nil, true, ETEMPLATEREQ},
		{"moved template stays selected", []string{"moved"}, []string{"moved", "own"}, true, ""},
		{"moved template cannot be re-selected", []string{"own"}, []string{"own", "moved"}, true, ENOTSELECTABLE},
		{"duplicate", nil, []string{"own", "own"}, false, EINVALID},
		{"restrict off without template", []string{"own"}, nil, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &InteractSettings{RestrictAccess: c.restrict, DomainTemplateIDs: c.after}
			if got := ErrorCode(s.CheckSelection(c.before, selectable)); got != c.code {
				t.Errorf("got %q, want %q", got, c.code)
			}
		})
	}
	many := make([]string, MaxSelectedTemplates+1)
	for i := range many {
		many[i] = "own" + strings.Repeat("x", i)
	}
	s := &InteractSettings{DomainTemplateIDs: many}
	if got := ErrorCode(s.CheckSelection(many, selectable)); got != EINVALID {
		t.Errorf("too many templates: %q", got)
	}
}

func TestWidgetKeyRotation(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := NewInteractSettings(OwnerService, "svc", "tenant")
	contact, old := s.ContactID, s.WidgetKey
	if !s.KeyValid(old, now) {
		t.Fatal("current key invalid")
	}
	s.Rotate(now, time.Hour)
	if s.ContactID != contact {
		t.Error("rotation changed the contact ID")
	}
	if s.WidgetKey == old || !strings.HasPrefix(s.WidgetKey, "wk_") {
		t.Errorf("new key %q", s.WidgetKey)
	}
	if !s.KeyValid(s.WidgetKey, now) {
		t.Error("new key invalid")
	}
	if !s.KeyValid(old, now.Add(59*time.Minute)) {
		t.Error("old key invalid within the grace period")
	}
	if s.KeyValid(old, now.Add(time.Hour)) {
		t.Error("old key valid after the grace period")
	}
	if s.KeyValid("", now) || s.KeyValid("wk_forged", now) {
		t.Error("forged key accepted")
	}
	second := s.WidgetKey
	s.Rotate(now, 0)
	if s.KeyValid(second, now) || s.KeyValid(old, now) {
		t.Error("rotation without grace left an old key valid")
	}
}

func TestSnippet(t *testing.T) {
	got := Snippet("https://cc.example.com/", "abc123", "wk_x")
	want := `<script async src="https://cc.example.com/widget.js" data-contact-id="abc123" data-widget-key="wk_x"></script>`
	if got != want {
		t.Errorf("Snippet:\n got %s\nwant %s", got, want)
	}
	if got := Snippet(`https://x"><script>`, `"a`, "b"); strings.Contains(got, `"><script>`) || strings.Contains(got, `=""a"`) {
		t.Errorf("Snippet does not escape: %s", got)
	}
}

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id", h)
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Error("right password refused")
	}
	if CheckPassword(h, "correct horse batterY") || CheckPassword("", "x") || CheckPassword("$argon2id$garbage", "x") {
		t.Error("wrong password or bad hash accepted")
	}
	if HashPassword("same") == HashPassword("same") {
		t.Error("hashes are not salted")
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = NewID()
	}
	if !sort.StringsAreSorted(ids) {
		t.Error("IDs made in sequence do not sort in sequence")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if len(id) != 26 || seen[id] {
			t.Fatalf("bad or duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestUserValidate(t *testing.T) {
	base := func() User { return User{Email: "A@Example.com", Name: "Ann", OUID: "ou"} }
	u := base()
	if err := u.Validate(); err != nil || u.Email != "a@example.com" {
		t.Fatalf("Validate() = %v, email %q", err, u.Email)
	}
	bad := map[string]func(*User){
		"bad email":         func(u *User) { u.Email = "not-an-email" },
		"email with name":   func(u *User) { u.Email = "Ann <a@example.com>" },
		"no OU":             func(u *User) { u.OUID = "" },
		"unknown role":      func(u *User) { u.Roles = []Role{{Role: "root"}} },
		"ouAdmin no scope":  func(u *User) { u.Roles = []Role{{Role: RoleOUAdmin}} },
		"tenantAdmin scope": func(u *User) { u.Roles = []Role{{Role: RoleTenantAdmin, ScopeID: "x"}} },
		"duplicate role":    func(u *User) { u.Roles = []Role{{Role: RoleTenantAdmin}, {Role: RoleTenantAdmin}} },
		"control chars":     func(u *User) { u.Name = "a\nb" },
	}
	for name, mut := range bad {
		t.Run(name, func(t *testing.T) {
			u := base()
			mut(&u)
			if got := ErrorCode(u.Validate()); got != EINVALID {
				t.Errorf("got %q, want %q", got, EINVALID)
			}
		})
	}
	if ErrorCode(ValidatePassword("short")) != EINVALID || ValidatePassword("long enough pw") != nil {
		t.Error("password length rules")
	}
}

func TestDistributionValidate(t *testing.T) {
	var d Distribution
	if err := d.Validate(); err != nil {
		t.Fatalf("zero distribution: %v", err)
	}
	if d.Type != DistributeDirect || d.RingTimeoutSeconds != 30 || d.RONAResetSeconds != 600 || d.ACWSeconds != 20 {
		t.Errorf("defaults not filled: %+v", d)
	}
	for name, mut := range map[string]func(*Distribution){
		"type":             func(d *Distribution) { d.Type = "roundrobin" },
		"ring too short":   func(d *Distribution) { d.RingTimeoutSeconds = 1 },
		"rona below 10s":   func(d *Distribution) { d.RONAResetSeconds = 5 },
		"priority":         func(d *Distribution) { d.DefaultPriority = 11 },
		"transfer without": func(d *Distribution) { d.OverflowAction = OverflowTransfer },
		"overflow action":  func(d *Distribution) { d.OverflowAction = "drop" },
	} {
		t.Run(name, func(t *testing.T) {
			d := Distribution{}
			mut(&d)
			if got := ErrorCode(d.Validate()); got != EINVALID {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestExpandPlaceholders(t *testing.T) {
	p := MessageParams{Visitor: Visitor{Name: "Vera Muster", Email: "v@example.com", Fields: map[string]string{"order": "A-7"}},
		AgentName: "Alex Agent", ServiceName: "Support"}
	got := Expand("Hi $(Customer.FirstName) ($(Customer.Email), $(Customer.order)): $(Agent.FirstName) of $(Service.Name). $(Customer.nope)$(Bogus.X)", p)
	want := "Hi Vera (v@example.com, A-7): Alex of Support. $(Bogus.X)"
	if got != want {
		t.Errorf("Expand:\n got %q\nwant %q", got, want)
	}
	m := SystemMessages{AgentNameMode: AgentNameCustom, AgentNameTemplate: "$(Agent.FirstName) from $(Service.Name)"}
	if n := m.AgentDisplayName("Alex Agent", p); n != "Alex from Support" {
		t.Errorf("custom display name %q", n)
	}
	m.AgentNameMode = AgentNameHidden
	if n := m.AgentDisplayName("Alex Agent", p); n != "" {
		t.Errorf("hidden display name %q", n)
	}
	if err := (&SystemMessages{AgentNameMode: AgentNameCustom}).Validate(); ErrorCode(err) != EINVALID {
		t.Errorf("custom without template: %v", err)
	}
}
