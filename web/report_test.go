package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// The reports over HTTP: the figures of a handled task and a short
// abandon, each caller's scope (tenant admin, OU admin of a sibling OU,
// service owner, agent, another tenant's admin), CSV, and bad input
// refused with invalid_input or not_found.
func TestReportsAPI(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	agent := l.agentSocket(0)
	const origin = "https://shop.example.test"
	_, handled := l.startTask(origin, map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": map[string]any{"name": "Ann"}})
	offer := data(agent.await("offer"))
	agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]})
	agent.await("ok")
	agent.send("task.end", map[string]any{"taskId": handled["taskId"]})
	agent.await("ok")
	_, hung := l.startTask(origin, map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": map[string]any{"name": "Ben"}})
	if err := l.engine.EndTask(ctx, hung["taskId"].(string), "visitor"); err != nil {
		t.Fatal(err)
	}

	token := func(u *interact.User) string {
		t.Helper()
		_, secret, err := l.db.CreateAPIToken(ctx, interact.Actor{UserID: u.ID, TenantID: u.TenantID, Email: u.Email, Roles: u.Roles}, u.ID, "reports")
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	ou := func(name string) string {
		root := l.ouID
		o, err := l.db.CreateOU(ctx, l.admin, interact.OU{Name: name, ParentID: &root})
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	ouA, ouB := ou("A"), ou("B")
	sales, err := l.db.CreateService(ctx, l.admin, interact.Service{Name: "Sales", OUID: ouA, License: interact.LicenseContactCenter})
	if err != nil {
		t.Fatal(err)
	}
	user := func(email, ouID string, roles ...interact.Role) *interact.User {
		u, err := l.db.CreateUser(ctx, l.admin, interact.User{Email: email, Name: email, OUID: ouID, Roles: roles}, "a-long-password")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	bAdmin := token(user("b-admin@live.test", ouB, interact.Role{Role: interact.RoleOUAdmin, ScopeID: ouB}))
	owner := token(user("owner@live.test", ouA, interact.Role{Role: interact.RoleServiceOwner, ScopeID: sales.ID}))
	_, other, err := l.db.CreateTenant(ctx, interact.System, interact.NewTenant{Tenant: interact.Tenant{Name: "Other"},
		AdminEmail: "admin@other.test", AdminPassword: "admin-password"})
	if err != nil {
		t.Fatal(err)
	}
	otherAdmin := token(other)
	_, admin, err := l.db.CreateAPIToken(ctx, l.admin, l.admin.UserID, "script")
	if err != nil {
		t.Fatal(err)
	}

	day := time.Now().UTC().Truncate(24 * time.Hour)
	period := "since=" + day.Format(time.RFC3339) + "&until=" + day.Add(24*time.Hour).Format(time.RFC3339)
	get := func(bearer, path string) (int, string, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", l.url+"/api/v1/reports/"+path, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e struct{ Error struct{ Code string } }
		json.Unmarshal(b, &e)
		return resp.StatusCode, e.Error.Code, resp.Header, b
	}
	items := func(bearer, path string) []map[string]any {
		t.Helper()
		status, code, _, b := get(bearer, path)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, code)
		}
		var out struct{ Items []map[string]any }
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		return out.Items
	}

	rows := items(admin, "services?"+period)
	if len(rows) != 1 {
		t.Fatalf("services %v", rows)
	}
	r := rows[0]
	if r["serviceId"] != l.svc.ID || r["serviceName"] != "Support" || r["bucket"] != day.Format(time.RFC3339) || r["offered"] != 1.0 ||
		r["answered"] != 1.0 || r["shortAbandoned"] != 1.0 || r["abandoned"] != 0.0 || r["reachability"] != 1.0 || r["serviceLevel"] != 1.0 ||
		r["acwSeconds"] != nil {
		t.Errorf("service row %v", r)
	}
	// By hour in Zurich, the bucket is the local hour.
	zh := items(admin, "services?interval=hour&tz=Europe/Zurich&"+period)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	if len(zh) != 1 {
		t.Fatalf("hourly in Zurich %v", zh)
	}
	b, err := time.Parse(time.RFC3339, zh[0]["bucket"].(string))
	_, want := b.In(zurich).Zone()
	if _, off := b.Zone(); err != nil || off != want || b.Minute() != 0 || time.Since(b) > time.Hour || time.Since(b) < 0 {
		t.Errorf("hourly in Zurich: bucket %v %v", zh[0]["bucket"], err)
	}
	if ous := items(admin, "ous?"+period); len(ous) != 1 || ous[0]["ouId"] != l.ouID || ous[0]["offered"] != 1.0 {
		t.Errorf("ous %v", ous)
	}
	agents := items(admin, "agents?"+period)
	if len(agents) != 1 || agents[0]["userId"] != l.agents[0].ID || agents[0]["answered"] != 1.0 {
		t.Errorf("agents %v", agents)
	}

	// CSV: a header row, then the rows.
	status, _, h, raw := get(admin, "services?format=csv&"+period)
	recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
		err != nil || len(recs) != 2 || recs[0][0] != "serviceId" || recs[0][2] != "bucket" || recs[1][0] != l.svc.ID {
		t.Errorf("csv %d %v %v %v", status, h, recs, err)
	}

	// Scope. The OU admin of B reads up to the root (Support) but not its
	// sibling A (Sales); the owner of Sales sees only Sales; an agent only
	// their own agent row; another tenant nothing.
	if status, code, _, _ := get(bAdmin, "services?serviceId="+sales.ID+"&"+period); status != 404 || code != interact.ENOTFOUND {
		t.Errorf("B admin on Sales: %d %s", status, code)
	}
	if status, code, _, _ := get(bAdmin, "ous?ouId="+ouA+"&"+period); status != 404 || code != interact.ENOTFOUND {
		t.Errorf("B admin on OU A: %d %s", status, code)
	}
	if rows := items(owner, "services?"+period); len(rows) != 0 {
		t.Errorf("owner of Sales sees %v", rows)
	}
	if status, _, _, _ := get(owner, "services?serviceId="+l.svc.ID+"&"+period); status != 404 {
		t.Errorf("owner of Sales on Support: %d", status)
	}
	if status, _, _, _ := get(l.tokens[0], "services?"+period); status != 403 {
		t.Errorf("agent on services: %d, want 403", status)
	}
	if own := items(l.tokens[0], "agents?"+period); len(own) != 1 || own[0]["userId"] != l.agents[0].ID {
		t.Errorf("agent's own row %v", own)
	}
	if status, _, _, _ := get(l.tokens[0], "agents?userId="+l.admin.UserID+"&"+period); status != 404 {
		t.Errorf("agent on another user: %d", status)
	}
	if rows := items(otherAdmin, "services?"+period); len(rows) != 0 {
		t.Errorf("other tenant sees %v", rows)
	}
	if rows := items(otherAdmin, "agents?"+period); len(rows) != 0 {
		t.Errorf("other tenant sees agents %v", rows)
	}
	for _, p := range []string{"services?serviceId=" + l.svc.ID, "agents?userId=" + l.agents[0].ID, "ous?ouId=" + l.ouID} {
		if status, code, _, _ := get(otherAdmin, p+"&"+period); status != 404 || code != interact.ENOTFOUND {
			t.Errorf("other tenant %s: %d %s", p, status, code)
		}
	}

	// Bad input.
	q := func(since, until time.Time) string {
		return "since=" + url.QueryEscape(since.Format(time.RFC3339)) + "&until=" + url.QueryEscape(until.Format(time.RFC3339))
	}
	for _, p := range []string{
		"services?" + q(day.Add(time.Hour), day),
		"services?" + q(day, day.AddDate(0, 0, 367)),
		"services?interval=week&" + period,
		"services?tz=Mars/Olympus&" + period,
		"services?tz=Local&" + period,
		"services?until=" + day.Format(time.RFC3339),
		"services?since=yesterday&until=" + day.Format(time.RFC3339),
		"services?format=xml&" + period,
		"services?slaSeconds=0&" + period,
		"agents?shortAbandonSeconds=x&" + period,
	} {
		if status, code, _, _ := get(admin, p); status != 400 || code != interact.EINVALID {
			t.Errorf("%s: %d %s, want 400 invalid_input", p, status, code)
		}
	}
	if rows := items(admin, "services?"+q(day, day.AddDate(0, 0, 366))); len(rows) != 1 {
		t.Errorf("366 days: %v", rows)
	}
}
