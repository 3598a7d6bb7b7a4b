package web_test

import (
	"os"
	"testing"
	"time"

	"github.com/interact-oss/interact/outbox/smtptest"
)

// TestPasswordResetInBrowser: "Forgot password?" on the agent console's
// sign-in, the mail arrives at the SMTP server, its link opens the page
// that sets a new password, and the agent signs in with it.
func TestPasswordResetInBrowser(t *testing.T) {
	chromium := chromiumOrSkip(t)
	l := newLiveMail(t, 1, smtptest.Options{})
	e := &browserEnv{l: l.live, browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	tab := e.tab(t)
	email := l.agents[0].Email
	navigate(t, tab, l.url+"/agent")
	waitConsole(t, tab, "sign-in form", `!!document.getElementById('si-forgot')`)
	e.screenshot(t, tab, "agent-signin-forgot")
	click(t, tab, "#si-forgot")
	waitJS(t, tab, `location.pathname === '/password/forgot' && !!document.getElementById('email')`, 20*time.Second)
	eval[any](t, tab, `document.getElementById('email').value = `+jsString(email)+`; document.querySelector('form').submit()`)
	waitJS(t, tab, `!!document.getElementById('reset-sent')`, 20*time.Second)
	e.screenshot(t, tab, "password-reset-sent")

	_, token := l.mailTo(email, 1)
	navigate(t, tab, l.url+"/password/set?token="+token)
	waitConsole(t, tab, "set page", `!!document.getElementById('password2')`)
	eval[any](t, tab, `document.getElementById('password').value = 'a browser password'; document.getElementById('password2').value = 'a browser password'`)
	e.screenshot(t, tab, "password-set-form")
	eval[any](t, tab, `document.querySelector('form').submit()`)
	waitJS(t, tab, `!!document.getElementById('password-set')`, 20*time.Second)

	navigate(t, tab, l.url+"/password/set?token="+token)
	waitConsole(t, tab, "used link", `(document.getElementById('account-error') || {}).dataset?.code === 'link_used'`)
	e.screenshot(t, tab, "password-link-used")

	signInConsole(t, tab, l.url, email, "a browser password")
}
