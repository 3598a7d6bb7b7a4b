package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"fmt"
	"strings"

	"github.com/interact-oss/interact"
)

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
