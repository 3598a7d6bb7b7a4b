package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// Form helpers.

func (q *adminReq) val(name string) string { return strings.TrimSpace(q.r.PostFormValue(name)) }

// on reports whether a checkbox (or a hidden true/false field) is set.
func (q *adminReq) on(name string) bool {
	v := q.r.PostFormValue(name)
	return v == "on" || v == "true" || v == "1"
}

func (q *adminReq) num(name, label string) (int, error) {
	v := q.val(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, interact.Errorf(interact.EINVALID, "%s must be a whole number (got %q).", label, v)
	}
	return n, nil
}

func (q *adminReq) ctx() context.Context { return q.r.Context() }

func (q *adminReq) id() string { return q.r.PathValue("id") }

// Tenant settings.

func viewTenant(q *adminReq) error {
	if q.tenant == nil {
		return interact.Errorf(interact.ENOTFOUND, "Your tenant could not be read.")
	}
	q.render("tenant", "Tenant settings", map[string]any{"Tenant": q.tenant, "Min": interact.MinIMTasksPerService, "Max": interact.MaxIMTasksPerService})
	return nil
}

func actTenant(q *adminReq) (string, string, error) {
	n, err := q.num("maxIm", "Max concurrent IM tasks per service")
	if err != nil {
		return "", "", err
	}
	ie, im := q.on("interactEnabled"), q.on("imEnabled")
	_, err = q.s.store.UpdateTenant(q.ctx(), q.a, q.a.TenantID, interact.TenantUpdate{InteractEnabled: &ie, IMEnabled: &im, MaxConcurrentIMTasksPerService: &n})
	return "/admin/tenant", "Tenant settings saved.", err
}

// OUs.

type ouNode struct {
	interact.OU
	Depth    int
	Children []*ouNode
}

// ouOption is an OU in a select, indented by depth.
type ouOption struct {
	ID, Label string
}

// ouTree returns the readable OUs as a forest and as indented options.
func (q *adminReq) ouTree() ([]*ouNode, []ouOption, map[string]string, error) {
	ous, err := q.s.store.OUs(q.ctx(), q.a)
	if err != nil {
		return nil, nil, nil, err
	}
	nodes := map[string]*ouNode{}
	names := map[string]string{}
	for _, o := range ous {
		nodes[o.ID] = &ouNode{OU: o}
		names[o.ID] = o.Name
	}
	var roots []*ouNode
	for _, o := range ous {
		n := nodes[o.ID]
		if o.ParentID != nil && nodes[*o.ParentID] != nil {
			p := nodes[*o.ParentID]
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var opts []ouOption
	var walk func(ns []*ouNode, depth int)
	walk = func(ns []*ouNode, depth int) {
		sort.Slice(ns, func(i, j int) bool { return strings.ToLower(ns[i].Name) < strings.ToLower(ns[j].Name) })
		for _, n := range ns {
			n.Depth = depth
			opts = append(opts, ouOption{ID: n.ID, Label: strings.Repeat("— ", depth) + n.Name})
			walk(n.Children, depth+1)
		}
	}
	walk(roots, 0)
	return roots, opts, names, nil
}

func viewOUs(q *adminReq) error {
	tree, opts, _, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("ous", "Organization units", map[string]any{"Tree": tree, "Options": opts})
	return nil
}

func actCreateOU(q *adminReq) (string, string, error) {
	parent := q.val("parent")
	o, err := q.s.store.CreateOU(q.ctx(), q.a, interact.OU{Name: q.val("name"), ParentID: &parent})
	if err != nil {
		return "", "", err
	}
	return "/admin/ous", fmt.Sprintf("OU %q created.", o.Name), nil
}

func actUpdateOU(q *adminReq) (string, string, error) {
	var upd interact.OUUpdate
	if _, ok := q.r.PostForm["name"]; ok {
		n := q.val("name")
		upd.Name = &n
	}
	if p := q.val("parent"); p != "" {
		upd.ParentID = &p
	}
	o, err := q.s.store.UpdateOU(q.ctx(), q.a, q.id(), upd)
	if err != nil {
		return "", "", err
	}
	return "/admin/ous", fmt.Sprintf("OU %q saved.", o.Name), nil
}

func actDeleteOU(q *adminReq) (string, string, error) {
	return "/admin/ous", "OU deleted.", q.s.store.DeleteOU(q.ctx(), q.a, q.id())
}

// Users.

func viewUsers(q *adminReq) error {
	users, err := q.s.store.Users(q.ctx(), q.a)
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("users", "Users", map[string]any{"Users": users, "Options": opts, "OUNames": names, "MinPassword": interact.MinPasswordLen})
	return nil
}

func (q *adminReq) licenses() interact.Licenses {
	return interact.Licenses{ContactCenter: q.on("contactCenter"), InstantMessaging: q.on("instantMessaging"), Interact: q.on("interact")}
}

func actCreateUser(q *adminReq) (string, string, error) {
	roles := []interact.Role{}
	if q.on("tenantAdmin") {
		roles = append(roles, interact.Role{Role: interact.RoleTenantAdmin})
	}
	u, err := q.s.store.CreateUser(q.ctx(), q.a, interact.User{Email: q.val("email"), Name: q.val("name"), OUID: q.val("ou"),
		Licenses: q.licenses(), Roles: roles}, q.r.PostFormValue("password"))
	if err != nil {
		return "", "", err
	}
	return "/admin/users/" + u.ID, fmt.Sprintf("User %s created.", u.Email), nil
}

type roleView struct {
	interact.Role
	Label string
}

func viewUser(q *adminReq) error {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	services, err := q.s.store.Services(q.ctx(), q.a)
	if err != nil {
		return err
	}
	svcNames := map[string]string{}
	for _, s := range services {
		svcNames[s.ID] = s.Name
	}
	var roles []roleView
	for _, r := range u.Roles {
		label := map[string]string{interact.RoleTenantAdmin: "Tenant admin", interact.RoleOperator: "Operator"}[r.Role]
		switch r.Role {
		case interact.RoleOUAdmin:
			label = "OU admin of " + orID(names[r.ScopeID], r.ScopeID)
		case interact.RoleServiceOwner:
			label = "Service owner of " + orID(svcNames[r.ScopeID], r.ScopeID)
		}
		roles = append(roles, roleView{Role: r, Label: label})
	}
	tokens, tokErr := q.s.store.APITokens(q.ctx(), q.a, u.ID)
	d := map[string]any{"User": u, "Options": opts, "OUNames": names, "Services": services, "Roles": roles,
		"Tokens": tokens, "TokensError": errText(tokErr), "MinPassword": interact.MinPasswordLen}
	for k, v := range q.extra {
		d[k] = v
	}
	q.render("user", u.Name, d)
	return nil
}

func orID(name, id string) string {
	if name == "" {
		return id
	}
	return name
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return interact.ErrorMessage(err)
}

func actUpdateUser(q *adminReq) (string, string, error) {
	name, email, ou, lic := q.val("name"), q.val("email"), q.val("ou"), q.licenses()
	u, err := q.s.store.UpdateUser(q.ctx(), q.a, q.id(), interact.UserUpdate{Name: &name, Email: &email, OUID: &ou, Licenses: &lic})
	if err != nil {
		return "", "", err
	}
	return "/admin/users/" + u.ID, "User saved.", nil
}

func actAddRole(q *adminReq) (string, string, error) {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	r := interact.Role{Role: q.val("role")}
	switch r.Role {
	case interact.RoleOUAdmin:
		r.ScopeID = q.val("ou")
	case interact.RoleServiceOwner:
		r.ScopeID = q.val("service")
	}
	roles := append(slices.Clone(u.Roles), r)
	if _, err := q.s.store.UpdateUser(q.ctx(), q.a, u.ID, interact.UserUpdate{Roles: &roles}); err != nil {
		return "", "", err
	}
	return "/admin/users/" + u.ID, "Role added.", nil
}

func actRemoveRole(q *adminReq) (string, string, error) {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	drop := interact.Role{Role: q.val("role"), ScopeID: q.val("scope")}
	roles := slices.DeleteFunc(slices.Clone(u.Roles), func(r interact.Role) bool { return r == drop })
	if roles == nil {
		roles = []interact.Role{}
	}
	if _, err := q.s.store.UpdateUser(q.ctx(), q.a, u.ID, interact.UserUpdate{Roles: &roles}); err != nil {
		return "", "", err
	}
	return "/admin/users/" + u.ID, "Role removed.", nil
}

func actPassword(q *adminReq) (string, string, error) {
	p := q.r.PostFormValue("password")
	_, err := q.s.store.UpdateUser(q.ctx(), q.a, q.id(), interact.UserUpdate{Password: &p})
	return "/admin/users/" + q.id(), "Password reset.", err
}

// viewCreateToken creates an API token and shows its secret once, on the
// answer to the POST itself (the secret is never stored to show again).
func viewCreateToken(q *adminReq) error {
	t, secret, err := q.s.store.CreateAPIToken(q.ctx(), q.a, q.id(), q.val("name"))
	if err != nil {
		q.err, q.status = err, endpoint.StatusOf(err)
	} else {
		q.s.changed(q.a.TenantID)
		q.status = 201
		q.flash = fmt.Sprintf("API token %q created. Copy its secret now: it is shown only once.", t.Name)
		q.extra = map[string]any{"NewToken": t, "Secret": secret}
	}
	return viewUser(q)
}

func actDeleteToken(q *adminReq) (string, string, error) {
	return "/admin/users/" + q.id(), "API token revoked.", q.s.store.DeleteAPIToken(q.ctx(), q.a, q.id(), q.r.PathValue("tokenId"))
}

func actDeleteUser(q *adminReq) (string, string, error) {
	return "/admin/users", "User deleted.", q.s.store.DeleteUser(q.ctx(), q.a, q.id())
}

// Interact tab (services and users).

// interactTab is what the Interact tab partial shows.
type interactTab struct {
	Kind        string // service or user
	Action      string // the form's URL
	Unavailable string // why the tab is not available, else ""
	Settings    *interact.InteractSettings
	Templates   []templateChoice
	KeyGrace    time.Duration
	GraceOpts   []graceOption
	PrevValid   bool
	TestOrigin  string
	TestResult  *originTest
}

type templateChoice struct {
	interact.DomainTemplate
	Selected, OutOfReach bool
}

type graceOption struct {
	Seconds  int
	Label    string
	Selected bool
}

// gateCodes are the errors that mean "the Interact tab is not available".
var gateCodes = []string{interact.ENOTLICENSED, interact.EADDONMISSING, interact.EINTERACTOFF}

func (q *adminReq) interactTab(kind, id, action string) (*interactTab, error) {
	tab := &interactTab{Kind: kind, Action: action, KeyGrace: q.s.cfg.KeyGrace}
	st, err := q.s.store.Interact(q.ctx(), q.a, kind, id)
	if err != nil {
		if slices.Contains(gateCodes, interact.ErrorCode(err)) {
			tab.Unavailable = interact.ErrorMessage(err)
			return tab, nil
		}
		return nil, err
	}
	tab.Settings = st.WithSnippet(q.s.cfg.PublicURL)
	tab.PrevValid = st.PreviousKeyValidUntil != nil && time.Now().Before(*st.PreviousKeyValidUntil)
	seen := map[string]bool{}
	for _, t := range st.SelectableDomainTemplates {
		seen[t.ID] = true
		tab.Templates = append(tab.Templates, templateChoice{DomainTemplate: t, Selected: slices.Contains(st.DomainTemplateIDs, t.ID)})
	}
	for _, tid := range st.DomainTemplateIDs { // selected before, now out of reach: kept
		if !seen[tid] {
			t := interact.DomainTemplate{ID: tid, Name: tid}
			if full, err := q.s.store.DomainTemplate(q.ctx(), q.a, tid); err == nil {
				t = *full
			}
			tab.Templates = append(tab.Templates, templateChoice{DomainTemplate: t, Selected: true, OutOfReach: true})
		}
	}
	def := int(q.s.cfg.KeyGrace / time.Second)
	opts := []graceOption{{0, "none: the old key stops at once", false}, {3600, "1 hour", false}, {86400, "24 hours", false}, {7 * 86400, "7 days", false}}
	found := false
	for i := range opts {
		if opts[i].Seconds == def {
			opts[i].Selected, found = true, true
			opts[i].Label += " (default)"
		}
	}
	if !found {
		opts = append(opts, graceOption{def, (time.Duration(def) * time.Second).String() + " (default)", true})
	}
	tab.GraceOpts = opts
	if o := q.r.URL.Query().Get("origin"); o != "" && q.r.Method == "GET" {
		tab.TestOrigin = o
		res, err := q.testOrigin(st.ContactID, o)
		if err != nil {
			return nil, err
		}
		tab.TestResult = res
	}
	return tab, nil
}

func actInteract(kind string) adminAction {
	return func(q *adminReq) (string, string, error) {
		av, im, ra := q.on("audioVideo"), q.on("instantMessage"), q.on("restrictAccess")
		ids := slices.Clone(q.r.PostForm["template"])
		if ids == nil {
			ids = []string{}
		}
		upd := interact.InteractUpdate{AudioVideo: &av, InstantMessage: &im, RestrictAccess: &ra, DomainTemplateIDs: &ids}
		if kind == interact.OwnerUser {
			active := q.on("active")
			upd.Active = &active
		}
		if _, err := q.s.store.UpdateInteract(q.ctx(), q.a, kind, q.id(), upd); err != nil {
			return "", "", err
		}
		return ownerURL(kind, q.id()) + "/interact", "Interact settings saved.", nil
	}
}

func ownerURL(kind, id string) string {
	if kind == interact.OwnerUser {
		return "/admin/users/" + id
	}
	return "/admin/services/" + id
}

func actRotate(kind string) adminAction {
	return func(q *adminReq) (string, string, error) {
		g, err := q.num("graceSeconds", "The grace period")
		if err != nil {
			return "", "", err
		}
		if max := int(interact.MaxKeyGrace / time.Second); g < 0 || g > max {
			return "", "", interact.Errorf(interact.EINVALID, "The grace period must be between 0 and %d seconds.", max)
		}
		st, err := q.s.store.RotateWidgetKey(q.ctx(), q.a, kind, q.id(), time.Duration(g)*time.Second)
		if err != nil {
			return "", "", err
		}
		msg := "New widget key issued; the previous key stopped working. Copy the new snippet into your pages."
		if st.PreviousKeyValidUntil != nil {
			msg = "New widget key issued; the previous key keeps working until " + st.PreviousKeyValidUntil.UTC().Format("2006-01-02 15:04 UTC") + ". Copy the new snippet into your pages."
		}
		return ownerURL(kind, q.id()) + "/interact", msg, nil
	}
}

func viewUserInteract(q *adminReq) error {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return err
	}
	tab, err := q.interactTab(interact.OwnerUser, u.ID, "/admin/users/"+u.ID+"/interact")
	if err != nil {
		return err
	}
	q.render("user_interact", u.Name+" — Interact", map[string]any{"User": u, "Tab": tab})
	return nil
}

// Services.

func viewServices(q *adminReq) error {
	services, err := q.s.store.Services(q.ctx(), q.a)
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("services", "Services", map[string]any{"Services": services, "Options": opts, "OUNames": names})
	return nil
}

func actCreateService(q *adminReq) (string, string, error) {
	svc := interact.Service{Name: q.val("name"), OUID: q.val("ou"), License: interact.ServiceLicense(q.val("license")),
		InteractLicense: q.on("interactLicense"), Messages: interact.DefaultSystemMessages()}
	out, err := q.s.store.CreateService(q.ctx(), q.a, svc)
	if err != nil {
		return "", "", err
	}
	return "/admin/services/" + out.ID, fmt.Sprintf("Service %q created.", out.Name), nil
}

var outcomes = []string{interact.OutcomeHandled, interact.OutcomeTransferred, interact.OutcomeHangupInQueue, interact.OutcomeQueueTimeout,
	interact.OutcomeNoAgent, interact.OutcomeAbandoned, interact.OutcomeTransferFailed}

func viewServiceTab(tab string) func(*adminReq) error {
	return func(q *adminReq) error {
		svc, err := q.s.store.Service(q.ctx(), q.a, q.id())
		if err != nil {
			return err
		}
		_, opts, names, err := q.ouTree()
		if err != nil {
			return err
		}
		it, err := q.interactTab(interact.OwnerService, svc.ID, "/admin/services/"+svc.ID+"/interact")
		if err != nil {
			return err
		}
		d := map[string]any{"Service": svc, "Tab": tab, "Options": opts, "OUNames": names, "Interact": it,
			"Licenses": []interact.ServiceLicense{interact.LicenseAdvancedRouting, interact.LicenseEnterpriseRouting, interact.LicenseContactCenter}}
		switch tab {
		case "members":
			members, err := q.s.store.Members(q.ctx(), q.a, svc.ID)
			if err != nil {
				return err
			}
			users, err := q.s.store.Users(q.ctx(), q.a)
			if err != nil {
				return err
			}
			in := map[string]bool{}
			for _, m := range members {
				in[m.UserID] = true
			}
			users = slices.DeleteFunc(users, func(u interact.User) bool { return in[u.ID] })
			d["Members"], d["Users"] = members, users
		case "distribution":
			services, err := q.s.store.Services(q.ctx(), q.a)
			if err != nil {
				return err
			}
			d["Services"] = slices.DeleteFunc(services, func(o interact.Service) bool { return o.ID == svc.ID })
		case "interact":
			if it.Unavailable != "" {
				q.status = 403
			}
		}
		q.render("service", svc.Name, d)
		return nil
	}
}

func actServiceGeneral(q *adminReq) (string, string, error) {
	svc, err := q.s.store.Service(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	name, ou := q.val("name"), q.val("ou")
	upd := interact.ServiceUpdate{Name: &name, OUID: &ou}
	// Licences are sent only when they change: only tenant admins may change them.
	if _, ok := q.r.PostForm["license"]; ok {
		if l := interact.ServiceLicense(q.val("license")); l != svc.License {
			upd.License = &l
		}
		if il := q.on("interactLicense"); il != svc.InteractLicense {
			upd.InteractLicense = &il
		}
	}
	if _, err := q.s.store.UpdateService(q.ctx(), q.a, svc.ID, upd); err != nil {
		return "", "", err
	}
	return "/admin/services/" + svc.ID, "Service saved.", nil
}

func actDeleteService(q *adminReq) (string, string, error) {
	return "/admin/services", "Service deleted.", q.s.store.DeleteService(q.ctx(), q.a, q.id())
}

func actPutMember(q *adminReq) (string, string, error) {
	m, err := q.s.store.PutMember(q.ctx(), q.a, q.id(), q.val("user"), q.on("active"))
	if err != nil {
		return "", "", err
	}
	state := "inactive"
	if m.Active {
		state = "active"
	}
	return "/admin/services/" + q.id() + "/members", fmt.Sprintf("%s is an %s member.", orID(m.Name, m.Email), state), nil
}

func actDeleteMember(q *adminReq) (string, string, error) {
	return "/admin/services/" + q.id() + "/members", "Member removed.", q.s.store.DeleteMember(q.ctx(), q.a, q.id(), q.r.PathValue("userId"))
}

func actDistribution(q *adminReq) (string, string, error) {
	svc, err := q.s.store.Service(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	d := svc.Distribution
	d.Type = q.val("type")
	for _, f := range []struct {
		name, label string
		p           *int
	}{
		{"ringTimeoutSeconds", "Ring timeout", &d.RingTimeoutSeconds},
		{"ronaResetSeconds", "RONA reset", &d.RONAResetSeconds},
		{"acwSeconds", "After-call work", &d.ACWSeconds},
		{"acwExtensionSeconds", "ACW extension", &d.ACWExtensionSeconds},
		{"defaultPriority", "Priority", &d.DefaultPriority},
		{"maxWaitSeconds", "Max wait", &d.MaxWaitSeconds},
	} {
		if *f.p, err = q.num(f.name, f.label); err != nil {
			return "", "", err
		}
	}
	d.PersistentRONA, d.ACWEnabled, d.StrictPriority = q.on("persistentRona"), q.on("acwEnabled"), q.on("strictPriority")
	d.OverflowAction, d.OverflowServiceID, d.OverflowMessage = q.val("overflowAction"), q.val("overflowServiceId"), q.val("overflowMessage")
	if _, err := q.s.store.UpdateService(q.ctx(), q.a, svc.ID, interact.ServiceUpdate{Distribution: &d}); err != nil {
		return "", "", err
	}
	return "/admin/services/" + svc.ID + "/distribution", "Distribution saved.", nil
}

func actMessages(q *adminReq) (string, string, error) {
	m := interact.SystemMessages{Welcome: q.val("welcome"), Queued: q.val("queued"), Accepted: q.val("accepted"), Ended: q.val("ended"),
		AgentNameMode: q.val("agentNameMode"), AgentNameTemplate: q.val("agentNameTemplate")}
	if _, err := q.s.store.UpdateService(q.ctx(), q.a, q.id(), interact.ServiceUpdate{Messages: &m}); err != nil {
		return "", "", err
	}
	return "/admin/services/" + q.id() + "/messages", "System messages saved.", nil
}

// Domain templates.

// originLines splits the editor's text area into entries, one a line,
// ignoring blank lines.
func originLines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// originTest is the origin tester's answer, as POST /api/v1/origin-check
// gives it.
type originTest struct {
	Allowed        bool
	RestrictAccess bool
	Match          *interact.OriginMatch
	Reason         *interact.ErrorData
}

// testOrigin answers whether a page at origin could use the contact now.
func (q *adminReq) testOrigin(contactID, origin string) (*originTest, error) {
	c, err := q.s.store.ContactByID(q.ctx(), q.a.TenantID, contactID)
	if err != nil {
		return nil, err
	}
	res := &originTest{RestrictAccess: c.Settings.RestrictAccess}
	m, why := c.CheckOrigin(origin)
	if why != nil {
		if interact.ErrorCode(why) == interact.EINTERNAL {
			return nil, why
		}
		res.Reason = &interact.ErrorData{Code: interact.ErrorCode(why), Message: interact.ErrorMessage(why)}
	}
	res.Allowed, res.Match = why == nil, m
	return res, nil
}

// testerContact is a contact the origin tester can check.
type testerContact struct {
	ContactID, Label string
	Selected         bool
}

func viewTemplates(q *adminReq) error {
	ts, err := q.s.store.DomainTemplates(q.ctx(), q.a)
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	services, err := q.s.store.Services(q.ctx(), q.a)
	if err != nil {
		return err
	}
	sel := q.r.URL.Query().Get("contactId")
	var contacts []testerContact
	for _, s := range services {
		if st, err := q.s.store.Interact(q.ctx(), q.a, interact.OwnerService, s.ID); err == nil {
			contacts = append(contacts, testerContact{ContactID: st.ContactID, Label: s.Name, Selected: st.ContactID == sel})
		}
	}
	d := map[string]any{"Templates": ts, "Options": opts, "OUNames": names, "Contacts": contacts}
	if o := q.r.URL.Query().Get("origin"); o != "" && sel != "" {
		res, err := q.testOrigin(sel, o)
		if err != nil {
			res = &originTest{Reason: &interact.ErrorData{Code: interact.ErrorCode(err), Message: interact.ErrorMessage(err)}}
		}
		d["TestOrigin"], d["TestResult"] = o, res
	}
	q.render("templates", "Domain templates", d)
	return nil
}

func actCreateTemplate(q *adminReq) (string, string, error) {
	t, err := q.s.store.CreateDomainTemplate(q.ctx(), q.a, interact.DomainTemplate{Name: q.val("name"), Description: q.val("description"),
		OUID: q.val("ou"), Origins: originLines(q.r.PostFormValue("origins"))})
	if err != nil {
		return "", "", err
	}
	return "/admin/templates/" + t.ID, fmt.Sprintf("Domain template %q created.", t.Name), nil
}

func viewTemplate(q *adminReq) error {
	t, err := q.s.store.DomainTemplate(q.ctx(), q.a, q.id())
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("template", t.Name, map[string]any{"Template": t, "Options": opts, "OUNames": names})
	return nil
}

func actUpdateTemplate(q *adminReq) (string, string, error) {
	name, desc, ou, origins := q.val("name"), q.val("description"), q.val("ou"), originLines(q.r.PostFormValue("origins"))
	t, err := q.s.store.UpdateDomainTemplate(q.ctx(), q.a, q.id(), interact.DomainTemplateUpdate{Name: &name, Description: &desc, OUID: &ou, Origins: &origins})
	if err != nil {
		return "", "", err
	}
	return "/admin/templates/" + t.ID, "Domain template saved.", nil
}

func actDeleteTemplate(q *adminReq) (string, string, error) {
	return "/admin/templates", "Domain template deleted.", q.s.store.DeleteDomainTemplate(q.ctx(), q.a, q.id())
}

// Audit log and sessions.

// nextPage is the current URL with another cursor.
func nextPage(u *url.URL, cursor string) string {
	if cursor == "" {
		return ""
	}
	v := u.Query()
	v.Set("cursor", cursor)
	return u.Path + "?" + v.Encode()
}

func viewAudit(q *adminReq) error {
	v := q.r.URL.Query()
	f, err := endpoint.AuditFilter(v, endpoint.FormList)
	d := map[string]any{"Q": v,
		"Kinds": interact.AuditKinds, "Actions": interact.AuditActions}
	users, _ := q.s.store.Users(q.ctx(), q.a)
	d["Users"] = users
	if err == nil {
		var cursor string
		var items []interact.AuditEntry
		items, cursor, err = q.s.store.AuditEntries(q.ctx(), q.a, f)
		d["Entries"], d["Next"] = items, nextPage(q.r.URL, cursor)
	}
	if err != nil {
		q.err, q.form, q.status = err, "filter", endpoint.StatusOf(err)
	}
	q.render("audit", "Audit log", d)
	return nil
}

func viewSessions(q *adminReq) error {
	v := q.r.URL.Query()
	f, ferr := endpoint.SessionFilter(v, endpoint.FormList)
	services, err := q.s.store.Services(q.ctx(), q.a)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range services {
		names[s.ID] = s.Name
	}
	users, _ := q.s.store.Users(q.ctx(), q.a)
	agents := map[string]string{}
	for _, u := range users {
		agents[u.ID] = u.Name
	}
	d := map[string]any{"Q": v, "Services": services, "ServiceNames": names, "Agents": agents, "Outcomes": outcomes}
	err = ferr
	if err == nil {
		var cursor string
		var items []interact.Session
		items, cursor, err = q.s.store.Sessions(q.ctx(), q.a, f)
		d["Sessions"], d["Next"] = items, nextPage(q.r.URL, cursor)
	}
	if err != nil {
		q.err, q.form, q.status = err, "filter", endpoint.StatusOf(err)
	}
	q.render("sessions", "Sessions", d)
	return nil
}
