package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// Every console page, walked as HTML: each form control has a label, each
// button and link a name, each label points at a control, and ids are unique.
func TestAdminConsoleLabels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.console(t)
	api := e.adminClient(t)
	root := api.rootOU(t)
	sub := api.createOU(t, "Sub", root.ID)
	svc := api.interactService(t, "Labelled", sub.ID)
	plain := api.createService(t, map[string]any{"name": "Plain", "ouId": root.ID})
	tpl := api.createTemplate(t, "Pages", root.ID, "https://pages.example.test")
	var cal interact.HolidayCalendar
	api.ok(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "Days off", "ouId": sub.ID, "holidays": []any{map[string]any{"name": "Christmas", "from": "2026-12-25"}}}, 201, &cal)
	api.ok(t, "PUT", "/api/v1/services/"+svc.ID+"/hours", map[string]any{"timeZone": "Europe/Zurich", "weekly": map[string]any{"mon": [][]string{{"08:00", "17:00"}}}, "holidayCalendarIds": []string{cal.ID}}, 200, nil)
	u := api.createUser(t, "ann@a.test", "Ann Agent", sub.ID, interact.Licenses{ContactCenter: true, InstantMessaging: true, Interact: true},
		interact.Role{Role: interact.RoleOUAdmin, ScopeID: sub.ID}, interact.Role{Role: interact.RoleServiceOwner, ScopeID: svc.ID})
	api.ok(t, "PUT", "/api/v1/services/"+svc.ID+"/members/"+u.ID, map[string]any{"active": true}, 200, nil)

	pages := map[string]string{}
	pages["/admin/signin"] = c.get("/admin/signin").body
	c.signIn(adminEmail, adminPassword)
	secret := c.post("/admin/users/"+u.ID+"/tokens", url.Values{"form": {"tokens"}, "name": {"CI"}})
	pages["token secret"] = secret.body
	m := regexp.MustCompile(`/tokens/([^/"]+)/delete`).FindStringSubmatch(secret.body)
	if m == nil {
		t.Fatal("no token listed")
	}
	pages["failed form"] = c.refused("/admin/services/"+svc.ID+"/distribution", url.Values{"form": {"distribution"}, "ringTimeoutSeconds": {"x"}}, 400, "Ring timeout must be a whole number").body
	for _, p := range []string{
		"/admin/tenant", "/admin/tenants", "/admin/ous", "/admin/users", "/admin/users/" + u.ID, "/admin/users/" + u.ID + "/interact",
		"/admin/users/" + e.admin.ID + "/interact",
		"/admin/services", "/admin/templates", "/admin/templates?contactId=x&origin=https%3A%2F%2Fa.test", "/admin/templates/" + tpl.ID,
		"/admin/audit", "/admin/sessions", "/admin/services/nope",
		"/admin/calendars", "/admin/calendars/" + cal.ID, "/admin/calendars/" + cal.ID + "/delete", "/admin/services/" + plain.ID + "/hours",
		"/admin/services/" + plain.ID, "/admin/services/" + plain.ID + "/interact",
		"/admin/services/" + svc.ID + "/delete", "/admin/templates/" + tpl.ID + "/delete", "/admin/ous/" + sub.ID + "/delete",
		"/admin/users/" + u.ID + "/delete", "/admin/users/" + u.ID + "/tokens/" + m[1] + "/delete",
	} {
		pages[p] = c.get(p).body
	}
	for _, tab := range []string{"", "/members", "/distribution", "/messages", "/hours", "/interact", "/interact?origin=https%3A%2F%2Fshop.example.test"} {
		p := "/admin/services/" + svc.ID + tab
		pages[p] = c.get(p).body
	}
	for name, body := range pages {
		if !strings.Contains(body, "</html>") {
			t.Errorf("%s: not a whole page", name)
			continue
		}
		for _, problem := range labelProblems(t, body) {
			t.Errorf("%s: %s", name, problem)
		}
	}
}

// labelProblems lists the unlabelled controls, nameless buttons and links,
// dangling labels and duplicate ids of an HTML page.
func labelProblems(t *testing.T, page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	ids, labelFor := map[string]int{}, map[string]bool{}
	var all []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			all = append(all, n)
			if id := attr(n, "id"); id != "" {
				ids[id]++
			}
			if n.Data == "label" && attr(n, "for") != "" {
				labelFor[attr(n, "for")] = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	var out []string
	for id, n := range ids {
		if n > 1 {
			out = append(out, fmt.Sprintf("id %q is used %d times", id, n))
		}
	}
	for f := range labelFor {
		if ids[f] == 0 {
			out = append(out, fmt.Sprintf("a label points at the missing id %q", f))
		}
	}
	named := func(n *html.Node) bool {
		if strings.TrimSpace(attr(n, "aria-label")) != "" {
			return true
		}
		if by := attr(n, "aria-labelledby"); by != "" {
			for _, id := range strings.Fields(by) {
				if ids[id] == 0 {
					return false
				}
			}
			return true
		}
		return false
	}
	for _, n := range all {
		switch n.Data {
		case "input", "select", "textarea":
			if attr(n, "type") == "hidden" {
				continue
			}
			if !labelFor[attr(n, "id")] && !inside(n, "label") && !named(n) {
				out = append(out, fmt.Sprintf("unlabelled <%s name=%q id=%q>", n.Data, attr(n, "name"), attr(n, "id")))
			}
		case "button", "a":
			if n.Data == "a" && attr(n, "href") == "" {
				continue
			}
			if strings.TrimSpace(textOf(n)) == "" && !named(n) {
				out = append(out, fmt.Sprintf("<%s> without a name (%s)", n.Data, attr(n, "href")))
			}
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func inside(n *html.Node, tag string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && p.Data == tag {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
