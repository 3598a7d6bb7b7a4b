package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"slices"
	"time"

	"github.com/interact-oss/interact"
)

// Interact tab (services and users).

// interactTab is what the Interact tab partial shows.
type interactTab struct {
	Kind        string // service or user
	Action      string // the form's URL
	Unavailable string // why the tab is not available, else ""
	Settings    *interact.InteractSettings
	Templates   []templateChoice
	KeyGrace    time.Duration
	GraceOpts   []graceOption
	PrevValid   bool
	TestOrigin  string
	TestResult  *originTest
}

type templateChoice struct {
	interact.DomainTemplate
	Selected, OutOfReach bool
}

type graceOption struct {
	Seconds  int
	Label    string
	Selected bool
}

// gateCodes are the errors that mean "the Interact tab is not available".
var gateCodes = []string{interact.ENOTLICENSED, interact.EADDONMISSING, interact.EINTERACTOFF}

func (q *adminReq) interactTab(kind, id, action string) (*interactTab, error) {
	tab := &interactTab{Kind: kind, Action: action, KeyGrace: q.s.cfg.KeyGrace}
	st, err := q.s.store.Interact(q.ctx(), q.a, kind, id)
	if err != nil {
		if slices.Contains(gateCodes, interact.ErrorCode(err)) {
			tab.Unavailable = interact.ErrorMessage(err)
			return tab, nil
		}
		return nil, err
	}
	tab.Settings = st.WithSnippet(q.s.cfg.PublicURL)
	tab.PrevValid = st.PreviousKeyValidUntil != nil && time.Now().Before(*st.PreviousKeyValidUntil)
	seen := map[string]bool{}
	for _, t := range st.SelectableDomainTemplates {
		seen[t.ID] = true
		tab.Templates = append(tab.Templates, templateChoice{DomainTemplate: t, Selected: slices.Contains(st.DomainTemplateIDs, t.ID)})
	}
	for _, tid := range st.DomainTemplateIDs { // selected before, now out of reach: kept
		if !seen[tid] {
			t := interact.DomainTemplate{ID: tid, Name: tid}
			if full, err := q.s.store.DomainTemplate(q.ctx(), q.a, tid); err == nil {
				t = *full
			}
			tab.Templates = append(tab.Templates, templateChoice{DomainTemplate: t, Selected: true, OutOfReach: true})
		}
	}
	def := int(q.s.cfg.KeyGrace / time.Second)
	opts := []graceOption{{0, "none: the old key stops at once", false}, {3600, "1 hour", false}, {86400, "24 hours", false}, {7 * 86400, "7 days", false}}
	found := false
	for i := range opts {
		if opts[i].Seconds == def {
			opts[i].Selected, found = true, true
			opts[i].Label += " (default)"
		}
	}
	if !found {
		opts = append(opts, graceOption{def, (time.Duration(def) * time.Second).String() + " (default)", true})
	}
	tab.GraceOpts = opts
	if o := q.r.URL.Query().Get("origin"); o != "" && q.r.Method == "GET" {
		tab.TestOrigin = o
		res, err := q.testOrigin(st.ContactID, o)
		if err != nil {
			return nil, err
		}
		tab.TestResult = res
	}
	return tab, nil
}

func actInteract(kind string) adminAction {
	return func(q *adminReq) (string, string, error) {
		av, im, ra := q.on("audioVideo"), q.on("instantMessage"), q.on("restrictAccess")
		rt, vh := q.on("ratings"), q.on("visitorHistory")
		ids := slices.Clone(q.r.PostForm["template"])
		if ids == nil {
			ids = []string{}
		}
		upd := interact.InteractUpdate{AudioVideo: &av, InstantMessage: &im, RestrictAccess: &ra, Ratings: &rt, VisitorHistory: &vh,
			DomainTemplateIDs: &ids}
		if kind == interact.OwnerUser {
			active := q.on("active")
			upd.Active = &active
		}
		if _, err := q.s.store.UpdateInteract(q.ctx(), q.a, kind, q.id(), upd); err != nil {
			return "", "", err
		}
		return ownerURL(kind, q.id()) + "/interact", "Interact settings saved.", nil
	}
}

func ownerURL(kind, id string) string {
	if kind == interact.OwnerUser {
		return "/admin/users/" + id
	}
	return "/admin/services/" + id
}

func actRotate(kind string) adminAction {
	return func(q *adminReq) (string, string, error) {
		g, err := q.num("graceSeconds", "The grace period")
		if err != nil {
			return "", "", err
		}
		if max := int(interact.MaxKeyGrace / time.Second); g < 0 || g > max {
			return "", "", interact.Errorf(interact.EINVALID, "The grace period must be between 0 and %d seconds.", max)
		}
		st, err := q.s.store.RotateWidgetKey(q.ctx(), q.a, kind, q.id(), time.Duration(g)*time.Second)
		if err != nil {
			return "", "", err
		}
		msg := "New widget key issued; the previous key stopped working. Copy the new snippet into your pages."
		if st.PreviousKeyValidUntil != nil {
			msg = "New widget key issued; the previous key keeps working until " + st.PreviousKeyValidUntil.UTC().Format("2006-01-02 15:04 UTC") + ". Copy the new snippet into your pages."
		}
		return ownerURL(kind, q.id()) + "/interact", msg, nil
	}
}

func viewUserInteract(q *adminReq) error {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return err
	}
	tab, err := q.interactTab(interact.OwnerUser, u.ID, "/admin/users/"+u.ID+"/interact")
	if err != nil {
		return err
	}
	q.render("user_interact", u.Name+" — Interact", map[string]any{"User": u, "Tab": tab})
	return nil
}
