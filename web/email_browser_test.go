package web_test

import (
	"context"
	"os"
	"testing"

	"github.com/chromedp/chromedp/kb"
	"github.com/interact-oss/interact"
)

// TestConsoleTenantChoiceInBrowser: an agent whose address and password
// fit users of two tenants is asked, on the agent console's sign-in form,
// which organisation to sign in to, and chooses with the keyboard.
func TestConsoleTenantChoiceInBrowser(t *testing.T) {
	chromium := chromiumOrSkip(t)
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributePickup})
	ctx := context.Background()
	other, otherAdmin, err := l.db.CreateTenant(ctx, l.admin, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Second organisation"}, AdminEmail: "admin@second.test", AdminPassword: "second admin password",
	})
	if err != nil {
		t.Fatal(err)
	}
	twin, err := l.db.CreateUser(ctx, interact.Actor{UserID: otherAdmin.ID, TenantID: other.ID, Roles: otherAdmin.Roles},
		interact.User{Email: "agent0@live.test", Name: "Agent 0 (second)", OUID: otherAdmin.OUID}, "agent-password")
	if err != nil {
		t.Fatal(err)
	}
	e := &browserEnv{l: l, browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	tab := e.tab(t)

	navigate(t, tab, l.url+"/agent")
	waitConsole(t, tab, "sign-in form", `document.activeElement && document.activeElement.id === 'si-email'`)
	keys(t, tab, "agent0@live.test\tagent-password\r")
	waitConsole(t, tab, "the organisations to choose from", `(() => { const f = document.getElementById('si-tenants');
	  return !!f && !f.hidden && JSON.stringify([...f.querySelectorAll('label')].map(l => l.textContent)) === '["Live","Second organisation"]' &&
	    document.activeElement === f.querySelector('input[type=radio]') && document.querySelector('.signin .error').textContent.includes('several organisations'); })()`)
	e.screenshot(t, tab, "console-choose-organisation")
	if eval[bool](t, tab, `!!document.querySelector('.conn')`) {
		t.Fatal("the console started without a choice")
	}
	// Down to the second organisation, Enter: signed in there.
	keys(t, tab, kb.ArrowDown+"\r")
	waitConsole(t, tab, "signed in", `!!document.querySelector('.conn')`)
	if got := eval[string](t, tab, `fetch('/api/v1/session').then(r => r.json()).then(j => j.user.id)`); got != twin.ID {
		t.Errorf("signed in as %s, want the second organisation's user %s", got, twin.ID)
	}
	if got := eval[string](t, tab, `document.querySelector('.who').textContent`); got != "Agent 0 (second)" {
		t.Errorf("the console shows %q", got)
	}
}
