package web_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// The service's pre-chat form and texts, changed by an admin in the console
// while the widget is open: the widget follows within 5 s, keeps what the
// visitor typed, shows inline errors (its own and the server's), and the
// agent gets the fields.
func (e *browserEnv) testPreChatForm(t *testing.T) {
	defer e.defaultForm(t)
	tab := e.tab(t)
	ag := e.agent(t)
	navigate(t, tab, e.page("form.example.test", "/"))
	waitJS(t, tab, `__visible('.launcher')`, 5*time.Second)
	eval[any](t, tab, `__q('.launcher').click()`)
	waitJS(t, tab, `__visible('input[name=name]') && !__q('[name=x-order]')`, 5*time.Second)
	eval[any](t, tab, `__q('input[name=name]').focus()`)
	keys(t, tab, "Vera")

	c := (&env{url: e.l.url}).console(t)
	c.signIn("admin@live.test", "admin-password")
	base := "/admin/services/" + e.l.svc.ID + "/widget"
	c.ok(base, url.Values{"form": {"widget"}, "name": {"required"}, "email": {"off"}, "consentOn": {"on"},
		"consent.en": {"I accept the <b>rules</b>."},
		"f0.key":     {"order"}, "f0.type": {"text"}, "f0.required": {"on"}, "f0.max": {"10"}, "f0.label.en": {"Order number"}, "f0.label.de": {"Bestellnummer"},
		"f1.key": {"topic"}, "f1.type": {"choice"}, "f1.required": {"on"}, "f1.label.en": {"Topic"}, "f1.options": {"Billing\nTechnical"},
		"f2.key": {"phone"}, "f2.type": {"phone"}, "f2.label.en": {"Phone"},
	})
	c.ok(base+"/texts", url.Values{"form": {"texts"}, "lang": {"en"}, "t.start": {"Talk to us <img src=x onerror=alert(1)>"}, "t.launcher": {"Ask us"}})
	took := waitJS(t, tab, `__visible('input[name=x-order]') && !__q('input[name=email]') && __text('form.form button[data-m=chat]') === 'Talk to us <img src=x onerror=alert(1)>'
		&& __q('.launcher').getAttribute('aria-label') === 'Ask us'`, 5*time.Second)
	t.Logf("pre-chat form and texts changed → shown in %v", took.Round(time.Millisecond))
	got := eval[map[string]any](t, tab, `(() => { const c = __q('input[name=consent]').closest('label');
	  return {name: __q('input[name=name]').value, focus: __root().activeElement && __root().activeElement.name,
	    consent: c.textContent, markup: !!__root().querySelector('form b, form img'),
	    orderLabel: __q('input[name=x-order]').closest('label').textContent, required: __q('input[name=x-order]').getAttribute('aria-required'),
	    options: [...__q('select[name=x-topic]').options].map(o => o.textContent), max: __q('input[name=x-order]').maxLength,
	    phoneType: __q('input[name=x-phone]').type}; })()`)
	if got["name"] != "Vera" || got["focus"] != "name" || got["consent"] != "I accept the <b>rules</b>. *" || got["markup"] != false ||
		got["orderLabel"] != "Order number *" || got["required"] != "true" || fmt.Sprint(got["options"]) != "[Please choose… Billing Technical]" ||
		got["max"] != float64(10) || got["phoneType"] != "tel" {
		t.Fatalf("the live form: %v", got)
	}

	// The widget's own checks: inline errors tied to their fields, focus on the first.
	eval[any](t, tab, `__q('input[name=x-phone]').value = 'call me'; __q('form.form button[data-m=chat]').click()`)
	waitJS(t, tab, `__q('input[name=x-order]').getAttribute('aria-invalid') === 'true' && __root().activeElement === __q('input[name=x-order]')`, 3*time.Second)
	errs := eval[map[string]string](t, tab, `({order: __text('#ic-e-x-order'), topic: __text('#ic-e-x-topic'), phone: __text('#ic-e-x-phone'), consent: __text('#ic-e-consent'),
	  describedBy: __q('input[name=x-order]').getAttribute('aria-describedby')})`)
	if errs["order"] != "Please fill in this field." || errs["topic"] != "Please fill in this field." || errs["phone"] != "Please enter a valid phone number." ||
		errs["consent"] != "Please agree to continue." || errs["describedBy"] != "ic-e-x-order" {
		t.Fatalf("inline errors: %v", errs)
	}
	e.screenshot(t, tab, "2b-prechat-errors")

	before, _ := e.l.db.OpenTasks(context.Background())
	openBefore := len(before)
	// The server's check names the field: a value past the limit (the page
	// lifted the input's own limit) gets an error at that field, and no task.
	eval[any](t, tab, `(() => { const o = __q('input[name=x-order]'); o.removeAttribute('maxlength'); o.value = 'A-1234567890';
	  __q('select[name=x-topic]').value = 'Billing'; __q('input[name=x-phone]').value = '+41 44 123 45 67'; __q('input[name=consent]').checked = true;
	  __q('form.form button[data-m=chat]').click(); })()`)
	waitJS(t, tab, `__text('#ic-e-x-order') === 'Something you entered was not accepted. Please check it and try again.' && __root().activeElement === __q('input[name=x-order]')`, 3*time.Second)
	if open, _ := e.l.db.OpenTasks(context.Background()); len(open) != openBefore {
		t.Fatalf("a refused start left %d tasks", len(open)-openBefore)
	}
	eval[any](t, tab, `__q('input[name=x-order]').value = 'A-7'`)
	e.screenshot(t, tab, "2a-prechat-fields")
	eval[any](t, tab, `__q('form.form button[data-m=chat]').click()`)
	task := ag.accept()
	v, _ := task["visitor"].(map[string]any)
	f, _ := v["fields"].(map[string]any)
	if v["name"] != "Vera" || v["email"] != nil || f["order"] != "A-7" || f["topic"] != "Billing" || f["phone"] != "+41 44 123 45 67" || f["consent"] != "accepted" {
		t.Fatalf("the agent sees the visitor as %v", v)
	}
	waitJS(t, tab, `__visible('.composer textarea')`, 5*time.Second)

	// A text changed during the chat reaches it too.
	c.ok(base+"/texts", url.Values{"form": {"texts"}, "lang": {"en"}, "t.send": {"Go"}, "t.end": {"Stop chatting"}})
	waitJS(t, tab, `__text('.composer button') === 'Go' && __text('.actions .end') === 'Stop chatting'`, 5*time.Second)
	eval[any](t, tab, `__q('.actions .end').click()`)
	ag.awaitData("task.ended", func(map[string]any) bool { return true })
}

// defaultForm puts the service's form back to the built-in one (the other
// tests fill in name and consent) with the Widget tab's "Reset to
// defaults", which open widgets and the contact caches follow at once.
func (e *browserEnv) defaultForm(t *testing.T) {
	c := (&env{url: e.l.url}).console(t)
	c.signIn("admin@live.test", "admin-password")
	c.ok("/admin/services/"+e.l.svc.ID+"/widget/reset", url.Values{"form": {"delete"}, "confirm": {"yes"}})
	if w := widgetOfConfig(t, e.l); len(w.Fields) != 0 || len(w.Texts) != 0 || w.Email != interact.FieldOptional {
		t.Fatalf("the config after the reset: %+v", w)
	}
}

// Two tabs of one chat: each keeps its own unsent draft (across a reload),
// and a message sent from one shows once in both.
func (e *browserEnv) testTwoTabDrafts(t *testing.T) {
	tab := e.tab(t)
	ag := e.agent(t)
	navigate(t, tab, e.page("tabs.example.test", "/"))
	startChat(t, tab, "Tia Tabs")
	ag.accept()
	tab2 := sibling(t, tab)
	navigate(t, tab2, e.page("tabs.example.test", "/"))
	waitJS(t, tab2, `!!window.Interact`, 5*time.Second)
	eval[any](t, tab2, `Interact.open()`)
	waitJS(t, tab2, `__visible('.composer textarea')`, 10*time.Second)

	// Both type at once, with real key events.
	eval[any](t, tab, `__q('.composer textarea').focus()`)
	keys(t, tab, "draft in one")
	eval[any](t, tab2, `__q('.composer textarea').focus()`)
	keys(t, tab2, "draft in two")
	keys(t, tab, ", more")
	draft := func(c context.Context) string { return eval[string](t, c, `__q('.composer textarea').value`) }
	if d1, d2 := draft(tab), draft(tab2); d1 != "draft in one, more" || d2 != "draft in two" {
		t.Fatalf("drafts: %q and %q", d1, d2)
	}

	// A reload keeps the tab's own draft, and the other's stays.
	eval[any](t, tab, `window.__old = true; location.reload()`)
	waitJS(t, tab, `!window.__old && __visible('.composer textarea') && __q('.composer textarea').value === 'draft in one, more'`, 10*time.Second)
	if d := draft(tab2); d != "draft in two" {
		t.Fatalf("the other tab's draft after a reload: %q", d)
	}

	// Sending from one tab: shown once in both; the other's draft stays.
	enter(t, tab)
	ag.heard("draft in one, more")
	for _, c := range []context.Context{tab, tab2} {
		waitJS(t, c, `__msgs().filter(m => m.text === 'draft in one, more' && m.seq > 0).length === 1 && __msgs().filter(m => m.text === 'draft in one, more').length === 1`, 5*time.Second)
	}
	if d1, d2 := draft(tab), draft(tab2); d1 != "" || d2 != "draft in two" {
		t.Fatalf("drafts after sending from tab one: %q and %q", d1, d2)
	}
	enter(t, tab2)
	ag.heard("draft in two")
	for _, c := range []context.Context{tab, tab2} {
		waitJS(t, c, `__msgs().filter(m => m.text === 'draft in two').length === 1 && __msgs().some(m => m.text === 'draft in two' && m.seq > 0)`, 5*time.Second)
		e.sameAsStore(t, c, ag.taskID)
	}
	eval[any](t, tab2, `__q('.actions .end').click()`)
	ag.awaitData("task.ended", func(map[string]any) bool { return true })
}

// enter presses Enter in the composer. (A CDP key event for Enter also
// sends a separate text event, which a real keyboard does not after the
// keydown was cancelled, so the keydown is dispatched in the page.)
func enter(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[any](t, ctx, `__q('.composer textarea').dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}))`)
}

// The Widget tab in a real browser: the form is checked as it is typed,
// with the bad field named, then saved; the texts editor saves one language.
func (e *browserEnv) testAdminWidgetTab(t *testing.T) {
	defer e.defaultForm(t)
	a := adminTab{t: t, ctx: e.tab(t), base: e.l.url}
	a.signIn("admin@live.test", "admin-password")
	a.open("/admin/services/" + e.l.svc.ID)
	a.follow(`document.querySelector('#widget-tab-link').click()`)
	a.wait(`location.pathname.endsWith('/widget') && !!document.querySelector('#prechat-form')`)
	a.set(`input[name="f0.key"]`, "9lives")
	a.wait(`document.querySelector('#prechat-check').textContent.includes('Custom field 1 ("9lives"): the key must start with a letter')`)
	a.set(`input[name="f0.key"]`, "order")
	a.wait(`document.querySelector('#prechat-check').textContent.includes('Custom field 1 ("order"): give it a label in at least one language.') && !document.querySelector('#prechat-check').hidden`)
	e.screenshot(t, a.ctx, "admin-widget-tab")
	a.set(`input[name="f0.label.en"]`, "Order number")
	a.check(`input[name="f0.required"]`, true)
	a.wait(`document.querySelector('#prechat-check').textContent === '' && document.querySelector('#prechat-check').hidden`)
	a.submit("#prechat-form")
	a.flash("Pre-chat form saved.")
	a.open("/admin/services/" + e.l.svc.ID + "/widget?lang=de")
	a.set(`input[name="t.start"]`, "Los geht's")
	a.submit("#texts")
	a.flash("Texts saved.")
	w, err := e.l.db.ContactWidget(context.Background(), e.l.tenant.ID, e.l.svc.ID)
	if err != nil || w == nil || len(w.Fields) != 1 || w.Fields[0].Key != "order" || !w.Fields[0].Required || w.Texts["de"]["start"] != "Los geht's" {
		t.Fatalf("saved settings: %+v %v", w, err)
	}

	// Reset to defaults: a confirmation page first; Cancel keeps the
	// settings, confirming deletes them.
	a.follow(`document.querySelector('#widget-reset').click()`)
	a.wait(`document.querySelector('#confirm-h').textContent === 'Reset the widget of “Support” to the defaults?' && document.activeElement.id === 'cancel'`)
	a.follow(`document.querySelector('#cancel').click()`)
	a.wait(`location.pathname.endsWith('/widget') && !!document.querySelector('#widget-reset')`)
	a.follow(`document.querySelector('#widget-reset').click()`)
	a.wait(`!!document.querySelector('#confirm-delete')`)
	a.submit("form[action$='/widget/reset']")
	a.flash("Widget reset to the defaults.")
	a.wait(`!document.querySelector('#widget-reset') && document.querySelector('input[name="f0.key"]').value === ''`)
	if w, err := e.l.db.ContactWidget(context.Background(), e.l.tenant.ID, e.l.svc.ID); err != nil || w != nil {
		t.Fatalf("settings after the reset: %+v %v", w, err)
	}
}
