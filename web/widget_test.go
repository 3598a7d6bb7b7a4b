package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/web"
)

// End-to-end tests of the public widget endpoints (docs/protocol.md §2.1):
// real HTTP against a whole stack (newLive).

const (
	shopOrigin = "https://shop.example.test"
	blogOrigin = "https://blog.example.test"
	evilOrigin = "https://evil.example.test"
)

// operator may change a tenant's state.
func (l *live) operator() interact.Actor {
	a := l.admin
	a.Roles = append(append([]interact.Role{}, a.Roles...), interact.Role{Role: interact.RoleOperator})
	return a
}

func (l *live) setTenant(upd interact.TenantUpdate) {
	l.t.Helper()
	if _, err := l.db.UpdateTenant(context.Background(), l.operator(), l.tenant.ID, upd); err != nil {
		l.t.Fatal(err)
	}
}

func (l *live) setInteract(upd interact.InteractUpdate) {
	l.t.Helper()
	st, err := l.db.UpdateInteract(context.Background(), l.admin, interact.OwnerService, l.svc.ID, upd)
	if err != nil {
		l.t.Fatal(err)
	}
	l.st = st
}

// adminAPI calls the admin REST API with a fresh API token of the tenant admin.
func (l *live) adminAPI(method, path string, body any) wresp {
	l.t.Helper()
	_, tok, err := l.db.CreateAPIToken(context.Background(), l.admin, l.admin.UserID, "admin")
	if err != nil {
		l.t.Fatal(err)
	}
	r := l.widget(method, path, "", tok, body)
	if r.status != http.StatusOK {
		l.t.Fatalf("%s %s: %d %v", method, path, r.status, r.body)
	}
	return r
}

// restrict switches Restrict Access on with one template of origins, and
// waits until the widget refuses an unlisted origin (direct store changes
// reach widgets within the contact cache's lifetime).
func (l *live) restrict(origins ...string) {
	l.t.Helper()
	tpl, err := l.db.CreateDomainTemplate(context.Background(), l.admin, interact.DomainTemplate{Name: "Shops", OUID: l.ouID, Origins: origins})
	if err != nil {
		l.t.Fatal(err)
	}
	on, ids := true, []string{tpl.ID}
	l.setInteract(interact.InteractUpdate{DomainTemplateIDs: &ids, RestrictAccess: &on})
	eventually.True(l.t, "restrict access to take effect", func() bool {
		return l.config(l.st.ContactID, l.st.WidgetKey, "https://unlisted.example.test").status == http.StatusForbidden
	})
}

// refusals is a stack for refusal tests: each refusal must leave the task
// count unchanged, and settings changed in the store are polled for.
type refusals struct {
	*live
	t            *testing.T
	key, contact string
	tasks        int
}

func newRefusals(t *testing.T) *refusals {
	t.Parallel()
	// Polling for settings changes costs widget requests: lift that limit.
	l := newLiveWith(t, 1, interact.Distribution{Type: interact.DistributeDirect}, func(c *web.Config) { c.WidgetRate = 1 << 20 })
	return &refusals{live: l, t: t, key: l.st.WidgetKey, contact: l.st.ContactID}
}

func (f *refusals) refused(what string, r wresp, status int, code string) {
	f.t.Helper()
	wantRefused(f.t, what, r, status, code)
	if n := f.taskCount(); n != f.tasks {
		f.t.Fatalf("%s: %d tasks exist after a refusal, want %d", what, n, f.tasks)
	}
}

func (f *refusals) started(what string, r wresp) string {
	f.t.Helper()
	if r.status != http.StatusCreated {
		f.t.Fatalf("%s: %d %v, want 201", what, r.status, r.body)
	}
	if f.tasks++; f.taskCount() != f.tasks {
		f.t.Fatalf("%s: %d tasks, want %d", what, f.taskCount(), f.tasks)
	}
	return r.body["taskId"].(string)
}

// configSays polls until GET config answers code ("" = 200).
func (f *refusals) configSays(what, code string) {
	f.t.Helper()
	eventually.True(f.t, what, func() bool { return f.config(f.contact, f.key, shopOrigin).code() == code })
}

func (f *refusals) modalities() map[string]any {
	m, _ := f.config(f.contact, f.key, shopOrigin).body["modalities"].(map[string]any)
	return m
}

func (f *refusals) chat() wresp { return f.start(f.contact, shopOrigin, chatReq(f.key)) }
func (f *refusals) call(m string) wresp {
	return f.start(f.contact, shopOrigin, callReq(f.key, m))
}

func TestWidgetRefusals(t *testing.T) {
	on, off := true, false
	t.Run("contact and key", func(t *testing.T) {
		f := newRefusals(t)
		f.refused("config, unknown contact", f.config("no-such-contact", f.key, shopOrigin), 404, interact.EUNKNOWNCONTACT)
		f.refused("task, unknown contact", f.start("no-such-contact", shopOrigin, chatReq(f.key)), 404, interact.EUNKNOWNCONTACT)
		ctx := context.Background()
		other, err := f.db.CreateService(ctx, f.admin, interact.Service{Name: "Sales", OUID: f.ouID, License: interact.LicenseContactCenter, InteractLicense: true})
		if err != nil {
			t.Fatal(err)
		}
		otherSt, err := f.db.UpdateInteract(ctx, f.admin, interact.OwnerService, other.ID, interact.InteractUpdate{InstantMessage: &on})
		if err != nil {
			t.Fatal(err)
		}
		if r := f.config(otherSt.ContactID, otherSt.WidgetKey, shopOrigin); r.status != 200 {
			t.Fatalf("the other contact with its own key: %d %v", r.status, r.body)
		}
		for name, k := range map[string]string{"wrong": "wk_wrong", "missing": "", "another contact's": otherSt.WidgetKey} {
			f.refused("config, "+name+" key", f.config(f.contact, k, shopOrigin), 401, interact.EINVALIDKEY)
			f.refused("task, "+name+" key", f.start(f.contact, shopOrigin, chatReq(k)), 401, interact.EINVALIDKEY)
		}
	})
	t.Run("origin", func(t *testing.T) {
		f := newRefusals(t)
		f.started("any origin before Restrict Access", f.start(f.contact, evilOrigin, chatReq(f.key)))
		f.restrict(shopOrigin)
		for _, o := range []string{evilOrigin, "", "null", "https://shop.example.test.evil.test", "http://shop.example.test", "https://shop.example.test:8443", "https://x.shop.example.test"} {
			f.refused("config from "+o, f.config(f.contact, f.key, o), 403, interact.EORIGINREFUSED)
			f.refused("task from "+o, f.start(f.contact, o, chatReq(f.key)), 403, interact.EORIGINREFUSED)
		}
		f.configSays("allowed origin", "")
		f.started("allowed origin", f.chat())
	})
	t.Run("tenant", func(t *testing.T) {
		f := newRefusals(t)
		suspended, active := interact.TenantSuspended, interact.TenantActive
		f.setTenant(interact.TenantUpdate{State: &suspended})
		f.configSays("suspension reaches the widget", interact.ETENANTINACTIVE)
		f.refused("task, tenant suspended", f.chat(), 403, interact.ETENANTINACTIVE)
		f.setTenant(interact.TenantUpdate{State: &active, InteractEnabled: &off})
		f.configSays("Interact off reaches the widget", interact.EINTERACTOFF)
		f.refused("task, Interact off", f.chat(), 403, interact.EINTERACTOFF)
		f.setTenant(interact.TenantUpdate{InteractEnabled: &on})
		f.configSays("Interact on again", "")
		f.started("Interact on again", f.chat())
	})
	t.Run("licences", func(t *testing.T) {
		f := newRefusals(t)
		// Changes through the admin API clear the contact cache: no polling.
		path := "/api/v1/services/" + f.svc.ID
		f.adminAPI("PATCH", path, map[string]any{"license": "advancedRouting"})
		wantRefused(t, "config, no Contact Center licence", f.config(f.contact, f.key, shopOrigin), 403, interact.ENOTLICENSED)
		f.refused("task, no Contact Center licence", f.chat(), 403, interact.ENOTLICENSED)
		f.adminAPI("PATCH", path, map[string]any{"license": "contactCenter", "interactLicense": false})
		wantRefused(t, "config, no add-on", f.config(f.contact, f.key, shopOrigin), 403, interact.EADDONMISSING)
		f.refused("task, no add-on", f.chat(), 403, interact.EADDONMISSING)
		f.adminAPI("PATCH", path, map[string]any{"interactLicense": true})
		f.started("licences restored", f.chat())
	})
	t.Run("modalities", func(t *testing.T) {
		f := newRefusals(t)
		f.setTenant(interact.TenantUpdate{IMEnabled: &off})
		eventually.True(t, "IM off to reach the widget", func() bool { return f.modalities()["chat"] == false })
		f.refused("chat, IM off", f.chat(), 403, interact.EIMDISABLED)
		f.started("audio, IM off", f.call("audio"))
		f.setTenant(interact.TenantUpdate{IMEnabled: &on})
		eventually.True(t, "IM on to reach the widget", func() bool { return f.modalities()["chat"] == true })

		f.setInteract(interact.InteractUpdate{InstantMessage: &off})
		eventually.True(t, "the chat toggle off to reach the widget", func() bool { m := f.modalities(); return m["chat"] == false && m["audio"] == true })
		f.refused("chat, toggle off", f.chat(), 403, interact.EMODALITYOFF)
		f.started("audio, chat toggle off", f.call("audio"))
		f.setInteract(interact.InteractUpdate{InstantMessage: &on, AudioVideo: &off})
		eventually.True(t, "the call toggle off to reach the widget", func() bool {
			m := f.modalities()
			return m["chat"] == true && m["audio"] == false && m["video"] == false
		})
		f.refused("audio, calls off", f.call("audio"), 403, interact.EMODALITYOFF)
		f.refused("video, calls off", f.call("video"), 403, interact.EMODALITYOFF)
		f.started("chat, calls off", f.chat())
	})
	t.Run("capacity", func(t *testing.T) {
		f := newRefusals(t)
		f.adminAPI("PATCH", "/api/v1/tenant", map[string]any{"maxConcurrentImTasksPerService": 1})
		first := f.started("first chat", f.chat())
		over := f.chat()
		f.refused("second chat over the cap", over, 429, interact.ECAPACITY)
		if over.h.Get("Retry-After") != "30" {
			t.Errorf("capacity_reached without Retry-After: %q", over.h.Get("Retry-After"))
		}
		f.started("a call is not a chat", f.call("audio"))
		if err := f.engine.EndTask(context.Background(), first, "visitor"); err != nil {
			t.Fatal(err)
		}
		f.started("chat after the first ended", f.chat())
	})
}

func TestWidgetRateLimits(t *testing.T) {
	direct := interact.Distribution{Type: interact.DistributeDirect}
	retryAfter := func(what string, r wresp) {
		t.Helper()
		wantRefused(t, what, r, 429, interact.ERATELIMITED)
		if s, err := strconv.Atoi(r.h.Get("Retry-After")); err != nil || s < 1 || s > 61 {
			t.Fatalf("%s: Retry-After %q", what, r.h.Get("Retry-After"))
		}
	}
	t.Run("tasks per address", func(t *testing.T) {
		l := newLiveWith(t, 1, direct, func(c *web.Config) { c.TaskRate = 2 })
		for range 5 { // refused before the limit: they count for nothing
			wantRefused(t, "bad key", l.start(l.st.ContactID, shopOrigin, chatReq("wk_bad")), 401, interact.EINVALIDKEY)
		}
		l.begin(shopOrigin, chatReq(l.st.WidgetKey))
		l.begin(shopOrigin, callReq(l.st.WidgetKey, "audio"))
		retryAfter("third task", l.start(l.st.ContactID, shopOrigin, chatReq(l.st.WidgetKey)))
		if n := l.taskCount(); n != 2 {
			t.Fatalf("%d tasks, want 2", n)
		}
		if r := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); r.status != 200 {
			t.Fatalf("config is not a new task: %d %v", r.status, r.body)
		}
	})
	t.Run("invalid input counts for nothing", func(t *testing.T) {
		l := newLiveWith(t, 1, direct, func(c *web.Config) { c.TaskRate = 2 })
		for _, body := range []map[string]any{
			{"widgetKey": l.st.WidgetKey, "modality": "fax"},
			{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": map[string]any{"email": "not an address"}},
		} {
			wantRefused(t, fmt.Sprint(body), l.start(l.st.ContactID, shopOrigin, body), 400, interact.EINVALID)
		}
		if r := l.start(l.st.ContactID, shopOrigin, chatReq(l.st.WidgetKey)); r.status != 201 {
			t.Fatalf("regression: web/widget.go startTask checks modality and visitor after the rate limits (protocol: invalid_input comes first), so refused input used up the budget: %d %v", r.status, r.body)
		}
	})
	t.Run("the page can read the refusal", func(t *testing.T) {
		l := newLiveWith(t, 1, direct, func(c *web.Config) { c.TaskRate = 1 })
		l.begin(shopOrigin, chatReq(l.st.WidgetKey))
		r := l.start(l.st.ContactID, shopOrigin, chatReq(l.st.WidgetKey))
		retryAfter("second task", r)
		if r.h.Get("Access-Control-Allow-Origin") != shopOrigin {
			t.Fatalf("429 without CORS grant: %v", r.h)
		}
		if !strings.Contains(strings.ToLower(r.h.Get("Access-Control-Expose-Headers")), "retry-after") {
			t.Fatal("regression: web/widget.go: no Access-Control-Expose-Headers: Retry-After, so the widget's script cannot read Retry-After")
		}
	})
	t.Run("tasks per widget key", func(t *testing.T) {
		l := newLiveWith(t, 1, direct, func(c *web.Config) { c.KeyRate = 1 })
		l.begin(shopOrigin, chatReq(l.st.WidgetKey))
		retryAfter("second task of the key", l.start(l.st.ContactID, shopOrigin, chatReq(l.st.WidgetKey)))
		if n := l.taskCount(); n != 1 {
			t.Fatalf("%d tasks, want 1", n)
		}
	})
	t.Run("requests per address", func(t *testing.T) {
		l := newLiveWith(t, 1, direct, func(c *web.Config) { c.WidgetRate = 3 })
		for range 3 {
			if r := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); r.status != 200 {
				t.Fatalf("config: %d %v", r.status, r.body)
			}
		}
		retryAfter("fourth request", l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin))
		retryAfter("task over the request limit", l.start(l.st.ContactID, shopOrigin, chatReq(l.st.WidgetKey)))
		if n := l.taskCount(); n != 0 {
			t.Fatalf("%d tasks, want 0", n)
		}
		if r := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); r.h.Get("Access-Control-Allow-Origin") != shopOrigin {
			t.Fatal("regression: web/widget.go widgetGate: the per-address 429 comes before the origin check and carries no CORS grant, so the widget cannot see it")
		}
	})
}

func TestWidgetCORS(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	l.restrict(shopOrigin)
	contact, key := l.st.ContactID, l.st.WidgetKey
	granted := func(what string, r wresp, origin string) {
		t.Helper()
		if got := r.h.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != origin {
			t.Fatalf("%s: Access-Control-Allow-Origin %q, want exactly %q", what, got, origin)
		}
		varyOrigin(t, what, r)
	}
	notGranted := func(what string, r wresp) {
		t.Helper()
		if r.status != http.StatusForbidden {
			t.Fatalf("%s: status %d, want 403", what, r.status)
		}
		if got := r.h.Values("Access-Control-Allow-Origin"); len(got) != 0 {
			t.Fatalf("%s: refused origin granted %q", what, got)
		}
		varyOrigin(t, what, r)
	}

	r := l.config(contact, key, shopOrigin)
	if r.status != 200 {
		t.Fatalf("config: %d %v", r.status, r.body)
	}
	granted("config", r, shopOrigin)
	r = l.start(contact, shopOrigin, chatReq(key))
	if r.status != 201 {
		t.Fatalf("task: %d %v", r.status, r.body)
	}
	granted("task", r, shopOrigin)
	r = l.config(contact, "wk_wrong", shopOrigin)
	wantRefused(t, "error answer", r, 401, interact.EINVALIDKEY)
	granted("error answer", r, shopOrigin) // the page may read why it was refused
	r = l.start(contact, shopOrigin, map[string]any{"widgetKey": key, "modality": "fax"})
	wantRefused(t, "invalid modality", r, 400, interact.EINVALID)
	granted("invalid modality", r, shopOrigin)

	for _, o := range []string{evilOrigin, "https://shop.example.test.evil.test", "null"} {
		notGranted("config from "+o, l.config(contact, key, o))
		notGranted("task from "+o, l.start(contact, o, chatReq(key)))
	}

	preflight := func(origin, path string) wresp {
		t.Helper()
		req, _ := http.NewRequest("OPTIONS", l.url+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return wresp{status: resp.StatusCode, h: resp.Header}
	}
	for _, path := range []string{"/widget/v1/tasks", "/widget/v1/config", "/widget/v1/token", "/widget/v1/tasks/x/transcript", "/widget/v1/tasks/x/leave-message"} {
		path += "?contactId=" + contact
		r := preflight(shopOrigin, path)
		if r.status != http.StatusNoContent {
			t.Fatalf("preflight %s: %d", path, r.status)
		}
		granted("preflight "+path, r, shopOrigin)
		if m := r.h.Get("Access-Control-Allow-Methods"); m != "GET, POST" {
			t.Fatalf("preflight %s: Allow-Methods %q", path, m)
		}
		if h := r.h.Get("Access-Control-Allow-Headers"); h != "Content-Type, Authorization" {
			t.Fatalf("preflight %s: Allow-Headers %q", path, h)
		}
		notGranted("preflight from evil "+path, preflight(evilOrigin, path))
		notGranted("preflight, suffix attack "+path, preflight("https://shop.example.test.evil.test", path))
	}
}

func varyOrigin(t *testing.T, what string, r wresp) {
	t.Helper()
	for _, v := range r.h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Origin") {
				return
			}
		}
	}
	t.Fatalf("%s: no Vary: Origin (Vary %q)", what, r.h.Values("Vary"))
}

func (l *live) transcript(taskID, token string, after int) wresp {
	l.t.Helper()
	return l.widget("GET", fmt.Sprintf("/widget/v1/tasks/%s/transcript?contactId=%s&afterSeq=%d", taskID, l.st.ContactID, after), shopOrigin, token, nil)
}

func TestVisitorTranscript(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	taskID, tok, v := l.connect(agent)
	for i := range 3 {
		v.reply(v.send("message.send", map[string]any{"clientId": fmt.Sprint("v", i), "text": fmt.Sprint("question ", i)}))
		agent.reply(agent.send("message.send", map[string]any{"taskId": taskID, "clientId": fmt.Sprint("a", i), "text": fmt.Sprint("answer ", i)}))
	}
	want, _ := l.db.Messages(context.Background(), taskID, 0, 1000)
	check := func(r wresp, after int) {
		t.Helper()
		items, _ := r.body["items"].([]any)
		if r.status != 200 || len(items) != len(want)-after {
			t.Fatalf("transcript after %d: %d %v", after, r.status, r.body)
		}
		for i, it := range items {
			m, w := it.(map[string]any), want[after+i]
			if m["seq"] != float64(w.Seq) || m["text"] != w.Text || m["from"] != w.From || m["clientId"] != w.ClientID {
				t.Fatalf("transcript item %d: %v, want %+v", i, m, w)
			}
		}
	}
	check(l.transcript(taskID, tok, 0), 0)
	check(l.transcript(taskID, tok, 4), 4)

	other, otherTok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	wantRefused(t, "another task's id", l.transcript(other, tok, 0), 404, interact.ENOTFOUND)
	wantRefused(t, "another task's token", l.transcript(taskID, otherTok, 0), 404, interact.ENOTFOUND)
	wantRefused(t, "no token", l.transcript(taskID, "", 0), 401, interact.EUNAUTHORIZED)
	wantRefused(t, "another origin", l.widget("GET", "/widget/v1/tasks/"+taskID+"/transcript?contactId="+l.st.ContactID, evilOrigin, tok, nil), 403, interact.EORIGINREFUSED)
}
