package adminconsole

// What the console shows for the API's identifiers: names for people (the
// REST API keeps its codes: contactCenter, tenantAdmin, domain_template).

import (
	"github.com/interact-oss/interact"
)

var licenceNames = map[interact.ServiceLicense]string{
	interact.LicenseAdvancedRouting:   "Advanced Routing",
	interact.LicenseEnterpriseRouting: "Enterprise Routing",
	interact.LicenseContactCenter:     "Contact Center",
}

var roleNames = map[string]string{
	interact.RoleOperator:     "Operator",
	interact.RoleTenantAdmin:  "Tenant admin",
	interact.RoleOUAdmin:      "OU admin",
	interact.RoleServiceOwner: "Service owner",
}

var kindNames = map[string]string{
	"tenant":           "Tenant",
	"ou":               "OU",
	"user":             "User",
	"service":          "Service",
	"domain_template":  "Domain template",
	"code":             "Code",
	"holiday_calendar": "Holiday calendar",
}

// named returns the name of an identifier, or the identifier itself when
// it has none (a value newer than this console).
func named[K ~string](names map[K]string, id K) string {
	if n, ok := names[id]; ok {
		return n
	}
	return string(id)
}

func licenceName(l interact.ServiceLicense) string { return named(licenceNames, l) }
func roleName(r string) string                     { return named(roleNames, r) }
func kindName(k string) string                     { return named(kindNames, k) }

// auditEntity is how the audit log shows an entry's entity: its name and
// page while it exists.
type auditEntity struct {
	Name, Href string
}

// auditEntities names the entities of audit entries that still exist, by
// kind and id ("service/<id>"); the others keep their ids. Lookups that
// fail leave the ids too.
func (q *adminReq) auditEntities(entries []interact.AuditEntry, users []interact.User) map[string]*auditEntity {
	kinds := map[string]bool{}
	for _, e := range entries {
		kinds[e.EntityKind] = true
	}
	out := map[string]*auditEntity{}
	add := func(kind, id, name, href string) {
		if name != "" {
			out[kind+"/"+id] = &auditEntity{Name: name, Href: href}
		}
	}
	if kinds["tenant"] && q.tenant != nil {
		add("tenant", q.tenant.ID, q.tenant.Name, "/admin/tenant")
	}
	if kinds["user"] {
		for _, u := range users {
			add("user", u.ID, u.Name, "/admin/users/"+u.ID)
		}
	}
	if kinds["service"] {
		if ss, err := q.s.store.Services(q.ctx(), q.a); err == nil {
			for _, s := range ss {
				add("service", s.ID, s.Name, "/admin/services/"+s.ID)
			}
		}
	}
	if kinds["ou"] {
		if ous, err := q.s.store.OUs(q.ctx(), q.a); err == nil {
			for _, o := range ous {
				add("ou", o.ID, o.Name, "/admin/ous")
			}
		}
	}
	if kinds["domain_template"] {
		if ts, err := q.s.store.DomainTemplates(q.ctx(), q.a); err == nil {
			for _, t := range ts {
				add("domain_template", t.ID, t.Name, "/admin/templates/"+t.ID)
			}
		}
	}
	if kinds["holiday_calendar"] {
		if cs, err := q.s.store.HolidayCalendars(q.ctx(), q.a); err == nil {
			for _, c := range cs {
				add("holiday_calendar", c.ID, c.Name, "/admin/calendars/"+c.ID)
			}
		}
	}
	if kinds["code"] {
		for _, e := range entries {
			if _, done := out["code/"+e.EntityID]; e.EntityKind != "code" || done {
				continue
			}
			if c, err := q.s.store.Code(q.ctx(), q.a, e.EntityID); err == nil {
				add("code", c.ID, c.Name, "/admin/ous/"+c.OUID+"/codes")
			}
		}
	}
	return out
}
