package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/interact-oss/interact"
)

// testClosed: out of hours, one page load. The launcher offers a message,
// the panel says the service is closed and when it opens, in the
// visitor's own time zone (Tokyo here), in the widget's fonts and with
// labelled controls; the message left reaches the store.
func (e *browserEnv) testClosed(t *testing.T) {
	// Open only on the weekday three days from now, 10:00–11:00 UTC:
	// closed now, whatever the time.
	now := time.Now().UTC()
	day := now.AddDate(0, 0, 3)
	opens := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, time.UTC)
	week := map[string]any{strings.ToLower(day.Weekday().String()[:3]): [][]string{{"10:00", "11:00"}}}
	b, _ := json.Marshal(map[string]any{"timeZone": "UTC", "weekly": week})
	e.admin(t, "PUT", "/api/v1/services/"+e.l.svc.ID+"/hours", string(b))
	t.Cleanup(func() { e.admin(t, "PUT", "/api/v1/services/"+e.l.svc.ID+"/hours", "{}") })

	tab := e.tab(t)
	if _, err := chromedp.Call(tab, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	navigate(t, tab, e.page("closed.example.test", "/"))
	waitJS(t, tab, `__visible('.launcher') && __q('.launcher').getAttribute('aria-label') === 'We are closed: leave us a message'`, 5*time.Second)
	eval[any](t, tab, `__q('.launcher').click()`)
	waitJS(t, tab, `__text('.sub') === 'We are closed right now.' && __visible('.when') && __visible('textarea[name=leave]')`, 5*time.Second)

	// 10:00 UTC is 19:00 in Tokyo, the same day.
	tokyo := opens.In(time.FixedZone("JST", 9*3600))
	when := eval[string](t, tab, `__text('.when')`)
	for _, want := range []string{"We open again on ", tokyo.Weekday().String(), tokyo.Month().String(), fmt.Sprint(tokyo.Day()), "07:00", "PM", "GMT+9"} {
		if !strings.Contains(when, want) {
			t.Errorf("the next opening %q lacks %q (opens %s)", when, want, opens)
		}
	}
	if n := eval[int](t, tab, `__root().querySelectorAll('form.form button[data-m]').length`); n != 0 {
		t.Errorf("the closed view offers %d start buttons", n)
	}

	// The widget's own fonts, never the page's serif; every control labelled.
	got := eval[map[string]string](t, tab, `Object.fromEntries(['.panel', 'header h2', '.when', 'input[name=name]', 'textarea[name=leave]', 'form.form button[type=submit]']
	  .map(s => [s, __q(s) ? getComputedStyle(__q(s)).fontFamily : 'missing']))`)
	for sel, f := range got {
		if !strings.HasPrefix(f, "system-ui") {
			t.Errorf("%s: font-family %q, want the widget's system-ui stack", sel, f)
		}
	}
	unlabelled := eval[[]string](t, tab, `[...__root().querySelectorAll('button, input, textarea, select')].filter(el => {
	    if (el.getClientRects().length === 0) return false;
	    const name = el.getAttribute('aria-label') || (el.tagName === 'BUTTON' ? el.textContent.trim() : (el.closest('label') || {}).textContent || '');
	    return !name.trim();
	  }).map(el => el.outerHTML.slice(0, 80))`)
	if len(unlabelled) > 0 {
		t.Errorf("controls without a label: %v", unlabelled)
	}
	waitJS(t, tab, `__q('.panel').getAnimations().length === 0`, 3*time.Second) // the panel's entrance has ended
	e.screenshot(t, tab, "9-closed")

	eval[any](t, tab, `(() => { __q('input[name=name]').value = 'Kenji Late'; const c = __q('input[name=consent]'); if (c) c.checked = true;
	  __q('textarea[name=leave]').value = 'Please call me tomorrow.'; __q('form.form button[type=submit]').click(); })()`)
	waitJS(t, tab, `__text('.thanks') === 'Thank you! We have received your message.' && __q('.thanks') === __root().activeElement`, 5*time.Second)
	ss, _, err := e.l.db.Sessions(context.Background(), e.l.admin, interact.SessionFilter{Outcome: interact.OutcomeClosed})
	if err != nil || len(ss) != 1 || ss[0].Task.LeftMessage != "Please call me tomorrow." || ss[0].Task.Visitor.Name != "Kenji Late" {
		t.Errorf("the left message in the store: %+v, %v", ss, err)
	}
}
