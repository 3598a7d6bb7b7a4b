package web_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

type originMatch struct {
	TemplateID   string `json:"templateId"`
	TemplateName string `json:"templateName"`
	Entry        string `json:"entry"`
}

type originReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type originAnswer struct {
	Allowed        bool          `json:"allowed"`
	RestrictAccess bool          `json:"restrictAccess"`
	Match          *originMatch  `json:"match"`
	Reason         *originReason `json:"reason"`
}

func (c *client) originCheck(t *testing.T, contactID, origin string) originAnswer {
	t.Helper()
	var ans originAnswer
	c.ok(t, "POST", "/api/v1/origin-check", map[string]string{"contactId": contactID, "origin": origin}, 200, &ans)
	return ans
}

func TestOriginCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	root := a.rootOU(t)
	svc := a.interactService(t, "Shop support", root.ID)
	tmpl := a.createTemplate(t, "Shops", root.ID, "https://shop.example.test", "*.apps.example.test", "http://localhost:*")
	st := a.putInteract(t, svc.ID, map[string]any{"domainTemplateIds": []string{tmpl.ID}, "restrictAccess": true})
	cid := st.ContactID

	allowed := func(entry string) originAnswer {
		return originAnswer{Allowed: true, RestrictAccess: true, Match: &originMatch{TemplateID: tmpl.ID, TemplateName: "Shops", Entry: entry}}
	}
	refused := func(code string) originAnswer {
		return originAnswer{RestrictAccess: true, Reason: &originReason{Code: code}}
	}
	ignoreMessage := cmpopts.IgnoreFields(originReason{}, "Message")

	t.Run("restrictAccess on", func(t *testing.T) {
		for _, tc := range []struct {
			origin string
			want   originAnswer
		}{
			{"https://shop.example.test", allowed("https://shop.example.test")},
			{"https://SHOP.Example.test:443", allowed("https://shop.example.test")},
			{"https://a.b.apps.example.test", allowed("*.apps.example.test")},
			{"http://localhost:5173", allowed("http://localhost:*")},
			{"https://shop.example.test.evil.test", refused(interact.EORIGINREFUSED)},
			{"https://evil-shop.example.test", refused(interact.EORIGINREFUSED)},
			{"http://shop.example.test", refused(interact.EORIGINREFUSED)},
			{"https://shop.example.test:8443", refused(interact.EORIGINREFUSED)},
			{"https://apps.example.test", refused(interact.EORIGINREFUSED)},
			{"https://shop.example.test/path", refused(interact.EORIGINREFUSED)},
			{"https://shop.example.test.", refused(interact.EORIGINREFUSED)}, // another site for the browser
			{"null", refused(interact.EORIGINREFUSED)},
			{"", refused(interact.EORIGINREFUSED)},
		} {
			t.Run(tc.origin, func(t *testing.T) {
				got := a.originCheck(t, cid, tc.origin)
				if d := cmp.Diff(tc.want, got, ignoreMessage); d != "" {
					t.Errorf("origin-check %q (-want +got):\n%s", tc.origin, d)
				}
				if got.Reason != nil && got.Reason.Message == "" {
					t.Errorf("origin-check %q: reason %q has no message", tc.origin, got.Reason.Code)
				}
			})
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		a.fail(t, "POST", "/api/v1/origin-check", map[string]string{"contactId": "no-such-contact", "origin": "https://shop.example.test"}, 404, interact.EUNKNOWNCONTACT)
		a.fail(t, "POST", "/api/v1/origin-check", map[string]string{"origin": "https://shop.example.test"}, 400, interact.EINVALID)
		a.fail(t, "POST", "/api/v1/origin-check", map[string]any{"contactId": cid, "origin": 5}, 400, interact.EINVALID)
	})

	t.Run("gate failures", func(t *testing.T) {
		a.setTenant(t, map[string]any{"interactEnabled": false})
		got := a.originCheck(t, cid, "https://shop.example.test")
		if got.Allowed || got.Reason == nil || got.Reason.Code != interact.EINTERACTOFF || got.Reason.Message == "" {
			t.Errorf("tenant switch off: %+v, want refused with interact_disabled", got)
		}
		got = a.originCheck(t, cid, "https://shop.example.test.evil.test")
		if got.Allowed || got.Reason == nil {
			t.Errorf("tenant switch off, foreign origin: %+v, want refused", got)
		}
		a.setTenant(t, map[string]any{"interactEnabled": true})

		a.ok(t, "PATCH", "/api/v1/services/"+svc.ID, map[string]any{"interactLicense": false}, 200, nil)
		if got := a.originCheck(t, cid, "https://shop.example.test"); got.Allowed || got.Reason == nil || got.Reason.Code != interact.EADDONMISSING {
			t.Errorf("add-on removed: %+v, want refused with addon_missing", got)
		}
		a.ok(t, "PATCH", "/api/v1/services/"+svc.ID, map[string]any{"license": "enterpriseRouting", "interactLicense": true}, 200, nil)
		if got := a.originCheck(t, cid, "https://shop.example.test"); got.Allowed || got.Reason == nil || got.Reason.Code != interact.ENOTLICENSED {
			t.Errorf("Contact Center licence removed: %+v, want refused with not_licensed", got)
		}
		a.ok(t, "PATCH", "/api/v1/services/"+svc.ID, map[string]any{"license": "contactCenter"}, 200, nil)

		a.ok(t, "PATCH", "/api/v1/tenants/"+e.tenant.ID, map[string]any{"state": "suspended"}, 200, nil)
		if got := a.originCheck(t, cid, "https://shop.example.test"); got.Allowed || got.Reason == nil || got.Reason.Code != interact.ETENANTINACTIVE {
			t.Errorf("tenant suspended: %+v, want refused with tenant_inactive", got)
		}
		a.ok(t, "PATCH", "/api/v1/tenants/"+e.tenant.ID, map[string]any{"state": "active"}, 200, nil)

		if got := a.originCheck(t, cid, "https://shop.example.test"); !got.Allowed {
			t.Errorf("all gates open again: %+v, want allowed", got)
		}
	})

	t.Run("restrictAccess off", func(t *testing.T) {
		a.putInteract(t, svc.ID, map[string]any{"restrictAccess": false})
		for _, origin := range []string{"https://shop.example.test", "https://anything.evil.test"} {
			got := a.originCheck(t, cid, origin)
			if d := cmp.Diff(originAnswer{Allowed: true}, got); d != "" {
				t.Errorf("origin-check %q with restrictAccess off (-want +got):\n%s", origin, d)
			}
		}
	})

	t.Run("direct contact of a user", func(t *testing.T) {
		u := a.createUser(t, "direct@a.test", "Direct", root.ID, interact.Licenses{ContactCenter: true, Interact: true})
		var us interact.InteractSettings
		a.ok(t, "GET", "/api/v1/users/"+u.ID+"/interact", nil, 200, &us)
		if us.ContactID == "" || us.ContactID == cid {
			t.Fatalf("user contact id %q (service's is %q)", us.ContactID, cid)
		}
		a.ok(t, "PUT", "/api/v1/users/"+u.ID+"/interact", map[string]any{"domainTemplateIds": []string{tmpl.ID}, "restrictAccess": true}, 200, &us)
		if got := a.originCheck(t, us.ContactID, "https://shop.example.test"); !got.Allowed || got.Match == nil || got.Match.TemplateID != tmpl.ID {
			t.Errorf("user contact, allowed origin: %+v", got)
		}
		a.ok(t, "PUT", "/api/v1/users/"+u.ID+"/interact", map[string]any{"active": false}, 200, &us)
		if got := a.originCheck(t, us.ContactID, "https://shop.example.test"); got.Allowed || got.Reason == nil || got.Reason.Code != interact.EINTERACTOFF {
			t.Errorf("user contact switched off: %+v, want refused with interact_disabled", got)
		}
	})
}
