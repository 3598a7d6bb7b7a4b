package web_test

import (
	"encoding/json"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// preChatForm is a valid Widget tab form: name required, e-mail optional,
// consent, and four custom fields.
func preChatForm() url.Values {
	return url.Values{"form": {"widget"}, "name": {"required"}, "email": {"optional"}, "consentOn": {"on"},
		"consent.en": {"I agree to the <b>terms</b>."}, "consent.de": {"Ich stimme zu."},
		"f0.key": {"order"}, "f0.type": {"text"}, "f0.required": {"on"}, "f0.max": {"10"}, "f0.label.en": {"Order number"}, "f0.label.de": {"Bestellnummer"},
		"f1.key": {"topic"}, "f1.type": {"choice"}, "f1.label.en": {"Topic"}, "f1.options": {"Billing\nTechnical\n"},
		"f2.key": {"phone"}, "f2.type": {"phone"}, "f2.label.en": {"Phone"},
		"f3.key": {"news"}, "f3.type": {"checkbox"}, "f3.label.en": {"Send me news"},
	}
}

func with(f url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// widgetOfConfig returns the widget settings the config serves.
func widgetOfConfig(t *testing.T, l *live) interact.WidgetSettings {
	t.Helper()
	r := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin)
	if r.status != 200 {
		t.Fatalf("config: %d %v", r.status, r.body)
	}
	b, _ := json.Marshal(r.body["widget"])
	var w interact.WidgetSettings
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWidgetPreChatSettings(t *testing.T) {
	t.Parallel()
	l := newLiveWith(t, 1, interact.Distribution{}, func(*web.Config) {})
	e := &env{url: l.url}
	c := e.console(t)
	c.signIn("admin@live.test", "admin-password")
	base := "/admin/services/" + l.svc.ID + "/widget"

	// The defaults: name, optional e-mail, consent with the default text.
	p := c.get(base)
	if p.status != 200 || !p.has("I agree that my details and messages are stored") || !p.has(`name="t.start"`) || p.has(`name="t.consent"`) {
		t.Fatalf("widget tab: %d %s", p.status, errorsOf(p))
	}
	if !c.get("/admin/services/" + l.svc.ID).has(`id="widget-tab-link"`) {
		t.Fatal("the service page does not link the Widget tab")
	}
	def := widgetOfConfig(t, l)
	if def.Name != "required" || def.Email != "optional" || len(def.Fields) != 0 || def.Consent["fr"] == "" {
		t.Fatalf("default widget config: %+v", def)
	}

	// Bad forms are refused with the field named, and change nothing.
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{with(preChatForm(), "f0.key", "1order"), `Custom field 1 ("1order"): the key must start with a letter`},
		{with(preChatForm(), "f1.key", "order"), `Custom field 2 ("order"): the key is used twice.`},
		{with(preChatForm(), "f2.key", "consent"), `Custom field 3 ("consent"): the key "consent" is reserved.`},
		{with(preChatForm(), "f0.type", "date"), `Custom field 1 ("order"): the type must be text, email, phone, choice or checkbox (got "date").`},
		{with(preChatForm(), "f0.max", "5000"), `Custom field 1 ("order"): the maximum length must be 1 to 1000.`},
		{with(preChatForm(), "f0.max", "ten"), `Custom field 1 ("order"): the maximum length must be a whole number`},
		{with(preChatForm(), "f1.options", ""), `Custom field 2 ("topic"): a choice needs 1 to 20 options.`},
		{with(preChatForm(), "f3.label.en", ""), `Custom field 4 ("news"): give it a label in at least one language.`},
		{with(preChatForm(), "f0.label.it", strings.Repeat("x", 201)), `Custom field 1 ("order"): the it label must be at most 200 characters.`},
		{with(preChatForm(), "name", "maybe"), `Name: choose required, optional or off (got "maybe").`},
		{with(preChatForm(), "consent.en", "", "consent.de", ""), `Consent text: write it in at least one language`},
	} {
		p := c.refused(base, bad.form, 400, bad.want)
		if !p.has(`value="` + html.EscapeString(bad.form.Get("f0.key")) + `"`) {
			t.Errorf("the refused form lost its values (%s)", bad.want)
		}
	}
	if got := widgetOfConfig(t, l); len(got.Fields) != 0 || got.Name != "required" {
		t.Fatalf("refused forms changed the config: %+v", got)
	}

	// Live validation: the same checks, nothing stored.
	api := e.login(t, "admin@live.test", "admin-password")
	var res map[string]string
	api.ok(t, "POST", "/admin/api/validate-widget", map[string]any{"kind": "prechat", "form": flat(with(preChatForm(), "f0.type", "date"))}, 200, &res)
	if !strings.Contains(res["error"], `Custom field 1 ("order"): the type`) {
		t.Fatalf("live check of a bad form: %v", res)
	}
	res = nil
	api.ok(t, "POST", "/admin/api/validate-widget", map[string]any{"kind": "prechat", "form": flat(preChatForm())}, 200, &res)
	if res["error"] != "" {
		t.Fatalf("live check of a good form: %v", res)
	}
	res = nil
	api.ok(t, "POST", "/admin/api/validate-widget", map[string]any{"kind": "texts", "form": map[string]string{"lang": "de", "t.nope": "x"}}, 200, &res)
	if res["error"] != `Texts (de): unknown text key "nope".` {
		t.Fatalf("live check of an unknown text key: %v", res)
	}

	// A good form is saved, audited and served.
	c.ok(base, preChatForm())
	w := widgetOfConfig(t, l)
	if len(w.Fields) != 4 || w.Fields[0].Label["de"] != "Bestellnummer" || w.Fields[0].MaxLength != 10 || !w.Fields[0].Required ||
		len(w.Fields[1].Options) != 2 || w.Fields[2].MaxLength != interact.DefaultFieldLen || w.Consent["en"] != "I agree to the <b>terms</b>." || w.Consent["fr"] != "" {
		t.Fatalf("saved widget config: %+v", w)
	}
	if p := c.get("/admin/audit?action=interact.widget_update"); !p.has(l.svc.ID) {
		t.Errorf("the change is not in the audit log")
	}

	// Texts: one language at a time; unknown keys are refused.
	c.refused(base+"/texts", url.Values{"form": {"texts"}, "lang": {"de"}, "t.nope": {"x"}}, 400, `Texts (de): unknown text key "nope".`)
	c.refused(base+"/texts", url.Values{"form": {"texts"}, "lang": {"xx"}, "t.start": {"x"}}, 400, `Texts: unknown language "xx"`)
	c.ok(base+"/texts", url.Values{"form": {"texts"}, "lang": {"de"}, "t.start": {"  Los <i>geht's</i>  "}, "t.send": {""}, "t.errors.capacity_reached": {"Alle belegt."}})
	w = widgetOfConfig(t, l)
	if w.Texts["de"]["start"] != "Los <i>geht's</i>" || w.Texts["de"]["errors.capacity_reached"] != "Alle belegt." || len(w.Texts["de"]) != 2 || len(w.Fields) != 4 {
		t.Fatalf("texts in the config: %+v", w.Texts)
	}

	// POST /widget/v1/tasks checks the visitor against the form, before any task exists.
	visitor := func(kv ...any) map[string]any {
		v := map[string]any{"name": "Vera", "email": "vera@example.test", "fields": map[string]any{"consent": "accepted", "order": "A-7"}}
		for i := 0; i+1 < len(kv); i += 2 {
			k := kv[i].(string)
			if f, ok := strings.CutPrefix(k, "fields."); ok {
				if kv[i+1] == nil {
					delete(v["fields"].(map[string]any), f)
				} else {
					v["fields"].(map[string]any)[f] = kv[i+1]
				}
				continue
			}
			v[k] = kv[i+1]
		}
		return map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": v}
	}
	for _, bad := range []struct {
		body map[string]any
		want string
	}{
		{visitor("name", ""), "name: this field is required."},
		{visitor("email", "vera@"), "email: not a valid e-mail address."},
		{visitor("fields.order", nil), "order: this field is required."},
		{visitor("fields.order", "A-1234567890"), "order: at most 10 characters."},
		{visitor("fields.colour", "red"), "colour: unknown field."},
		{visitor("fields.topic", "Sales"), "topic: choose one of the options."},
		{visitor("fields.phone", "call me"), "phone: not a valid phone number."},
		{visitor("fields.news", "no"), `news: a checkbox is "yes" or absent.`},
		{visitor("fields.consent", nil), "consent: consent is required."},
	} {
		r := l.start(l.st.ContactID, shopOrigin, bad.body)
		wantRefused(t, bad.want, r, 400, interact.EINVALID)
		if msg := r.body["error"].(map[string]any)["message"]; msg != bad.want {
			t.Errorf("refusal message %q, want %q", msg, bad.want)
		}
	}
	if open, _ := l.db.OpenTasks(t.Context()); len(open) != 0 {
		t.Fatalf("refused starts left %d tasks", len(open))
	}
	r := l.start(l.st.ContactID, shopOrigin, visitor("fields.topic", "Technical", "fields.phone", "+41 44 123 45 67", "fields.news", "yes", "fields.order", "  A-7 "))
	if r.status != 201 {
		t.Fatalf("a valid visitor: %d %v", r.status, r.body)
	}
	open, _ := l.db.OpenTasks(t.Context())
	if len(open) != 1 || open[0].Visitor.Fields["order"] != "A-7" || open[0].Visitor.Fields["topic"] != "Technical" || open[0].Visitor.Fields["consent"] != "accepted" {
		t.Fatalf("the task's visitor: %+v", open)
	}
}

func flat(f url.Values) map[string]string {
	m := map[string]string{}
	for k := range f {
		m[k] = f.Get(k)
	}
	return m
}
