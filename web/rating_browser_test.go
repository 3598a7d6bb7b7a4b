package web_test

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"
	"github.com/interact-oss/interact"
)

// A visitor chats in a real browser, the agent ends the chat in the agent
// console, and the visitor rates it with the keyboard alone: stars and a
// comment that would be script if it were HTML. The agent's My Sessions
// shows the rating, as text. The visitor comes back in the same browser and
// starts a new chat: the widget offers the previous conversation, and the
// agent's side panel lists the earlier one, whose transcript opens.
func TestRatingAndHistoryInBrowser(t *testing.T) {
	chromium := chromiumOrSkip(t)
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	l.restrictTo("*.example.test:*")
	l.adminAPI("PUT", "/api/v1/services/"+l.svc.ID+"/interact", map[string]any{"visitorHistory": true})
	e := &browserEnv{l: l, pagePort: pageServer(t, l, l.url), browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	agentTab, visitor := e.tab(t), e.tab(t)
	signInConsole(t, agentTab, l.url, "agent0@live.test", "agent-password")
	setPresence(t, agentTab, "available")
	waitConsole(t, agentTab, "available", `document.querySelector('.side .state').textContent === 'Available'`)

	navigate(t, visitor, e.page("shop.example.test", "/"))
	waitJS(t, visitor, `__visible('.launcher')`, 5*time.Second)
	eval[any](t, visitor, `__q('.launcher').click()`)
	waitJS(t, visitor, `__visible('input[name=name]')`, 5*time.Second)
	if n := eval[float64](t, visitor, `Object.keys(localStorage).filter(k => k.startsWith('interact-visitor:')).length`); n != 0 {
		t.Fatal("a page view with the widget open stored a visitor id")
	}
	eval[any](t, visitor, `__q('.x').click()`)
	startChat(t, visitor, "Rita Rater")
	send(t, visitor, "Where is my parcel?")
	waitConsole(t, agentTab, "offer", `!!document.querySelector('.offer .accept')`)
	altKey(t, agentTab, "a")
	waitConsole(t, agentTab, "chat open", `JSON.stringify(`+logTexts+`).includes('Where is my parcel?')`)
	eval[any](t, agentTab, `document.querySelector('.panel:not([hidden]) textarea').focus()`)
	keys(t, agentTab, "It arrives tomorrow.\r")
	waitJS(t, visitor, `__msgs().some(m => m.who === 'agent' && m.text === 'It arrives tomorrow.')`, 10*time.Second)
	click(t, agentTab, `.panel:not([hidden]) .end-btn`)

	// The ended chat asks for a rating: five labelled radio buttons and a
	// comment; the arrow keys choose, Tab moves on, Enter sends.
	if eval[bool](t, visitor, `!!__q('.prev-box:not([hidden])')`) {
		t.Error("a first visit shows a previous conversation")
	}
	waitJS(t, visitor, `__visible('form.rating') && __root().querySelectorAll('form.rating input[type=radio][name=stars]').length === 5`, 10*time.Second)
	labels := eval[[]string](t, visitor, `[...__root().querySelectorAll('form.rating input[type=radio]')].map(i => i.labels[0].textContent)`)
	if len(labels) != 5 || labels[0] != "☆1 of 5 stars" || labels[4] != "☆5 of 5 stars" {
		t.Errorf("star labels %q", labels)
	}
	eval[any](t, visitor, `__q('form.rating input[value="1"]').focus()`)
	keys(t, visitor, kb.ArrowRight+kb.ArrowRight+kb.ArrowRight)
	waitJS(t, visitor, `__q('input[name=stars]:checked') && __q('input[name=stars]:checked').value === '4' && __root().activeElement === __q('input[value="4"]')`, 5*time.Second)
	keys(t, visitor, "\t"+xssComment)
	e.screenshot(t, visitor, "widget-rating")
	keys(t, visitor, "\t\r")
	waitJS(t, visitor, `__visible('.rated') && __text('.rated').includes('4 of 5 stars') && __root().activeElement === __q('.rated')`, 10*time.Second)
	e.screenshot(t, visitor, "widget-rated")
	taskID := eval[string](t, visitor, `JSON.parse(localStorage.getItem('interact:`+l.st.ContactID+`')).taskId`)
	if r := l.storedRating(taskID); r == nil || r.Stars != 4 || r.Comment != xssComment {
		t.Fatalf("stored rating %+v", r)
	}
	// A reload (the panel stays open) still says what was given, and asks no more.
	navigate(t, visitor, e.page("shop.example.test", "/"))
	waitJS(t, visitor, `__visible('.rated') && !__q('form.rating')`, 10*time.Second)

	// The agent's My Sessions shows the stars and the comment, as text.
	click(t, agentTab, `nav [data-view=sessions]`)
	waitConsole(t, agentTab, "rating in My Sessions", `(() => { const r = document.querySelector('tr.session[data-task="`+taskID+`"] .rating');
	  return !!r && r.dataset.stars === '4' && r.querySelector('.stars').textContent === '★★★★☆' && r.querySelector('.comment').textContent === `+jsString(xssComment)+`; })()`)
	if n := eval[float64](t, agentTab, `document.querySelectorAll('.sessions img').length`); n != 0 {
		t.Errorf("the comment became %v image elements", n)
	}
	e.screenshot(t, agentTab, "console-sessions-rating")

	// The visitor comes back in the same browser and starts a new chat.
	visitorID := eval[string](t, visitor, `localStorage.getItem('interact-visitor:`+l.st.ContactID+`')`)
	if len(visitorID) != interact.VisitorIDLen {
		t.Fatalf("visitor id %q", visitorID)
	}
	navigate(t, visitor, e.page("shop.example.test", "/page2"))
	waitJS(t, visitor, `__visible('button.new')`, 10*time.Second)
	eval[any](t, visitor, `__q('button.new').click()`)
	waitJS(t, visitor, `__visible('input[name=name]')`, 5*time.Second)
	eval[any](t, visitor, `(() => { __q('input[name=name]').value = 'Rita Rater'; __q('input[name=email]').value = 'rita@example.test'; __q('input[name=consent]').checked = true; __q('form.form button[type=submit]').click(); })()`)
	waitJS(t, visitor, `__visible('.composer textarea')`, 5*time.Second)
	send(t, visitor, "Me again: the parcel came.")
	if again := eval[string](t, visitor, `localStorage.getItem('interact-visitor:`+l.st.ContactID+`')`); again != visitorID {
		t.Errorf("the visitor id changed: %q, then %q", visitorID, again)
	}
	// The widget offers the previous conversation, closed; it opens by keyboard.
	waitJS(t, visitor, `__visible('details.prev summary') && !__q('details.prev').open`, 10*time.Second)
	eval[any](t, visitor, `__q('details.prev summary').focus()`)
	keys(t, visitor, "\r")
	waitJS(t, visitor, `__q('details.prev').open && __text('.prev-log').includes('Where is my parcel?') && __text('.prev-log').includes('It arrives tomorrow.')`, 5*time.Second)
	e.screenshot(t, visitor, "widget-previous")

	// The agent takes it: the side panel lists the earlier conversation
	// with its rating, and its transcript opens.
	click(t, agentTab, `nav [data-view=chats]`)
	waitConsole(t, agentTab, "second offer", `!!document.querySelector('.offer .accept')`)
	altKey(t, agentTab, "a")
	panel := `document.querySelector('.panel:not([hidden]) .info')`
	waitConsole(t, agentTab, "earlier conversation in the side panel", `(() => { const v = `+panel+`.querySelector('.visit[data-task="`+taskID+`"]');
	  return !!v && v.textContent.includes('Support') && v.textContent.includes('Agent 0') && v.querySelector('.rating').dataset.stars === '4' &&
	    v.querySelector('.comment').textContent === `+jsString(xssComment)+` && !!v.querySelector('a.transcript-link'); })()`)
	if n := eval[float64](t, agentTab, panel+`.querySelectorAll('.visit').length`); n != 1 {
		t.Errorf("%v earlier conversations listed, want 1", n)
	}
	if !eval[bool](t, agentTab, `[...`+panel+`.querySelectorAll('dd')].some(d => d.textContent === 'rita@example.test (not verified)')`) {
		t.Error("the typed e-mail address is not marked as not verified")
	}
	e.screenshot(t, agentTab, "console-visitor-history")
	href := eval[string](t, agentTab, panel+`.querySelector('.visit a.transcript-link').href`)
	transcript := sibling(t, agentTab) // the agent's own sign-in
	navigate(t, transcript, href)
	waitConsole(t, transcript, "the earlier transcript", `document.body.innerText.includes('Where is my parcel?') && document.body.innerText.includes('Rating comment')`)
}
