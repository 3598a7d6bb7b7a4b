package adminconsole

// Confirmation of destructive console actions. A delete button is a link to
// a confirmation page (GET …/delete) that names what goes and what follows;
// its form posts with confirm=yes. A delete POST without confirm=yes
// deletes nothing and answers with the same page, so the step holds
// without JavaScript and for forms posted by hand.

import (
	"fmt"

	"github.com/interact-oss/interact"
)

// deletion is what a confirmation page shows.
type deletion struct {
	Heading     string // "Delete the service “Web Support”?"
	Consequence string // what follows
	Action      string // where the confirming form posts
	Cancel      string // where Cancel leads back to
	Button      string // the confirming button's text
}

// deletionOf loads what a delete URL acts on (so an invisible or missing
// entity is not found) and describes its deletion.
type deletionOf func(q *adminReq) (*deletion, error)

func confirmView(load deletionOf) func(*adminReq) error {
	return func(q *adminReq) error {
		d, err := load(q)
		if err != nil {
			return err
		}
		q.render("confirm", "Confirm deletion", d)
		return nil
	}
}

// confirmed runs act only when the form confirms it; otherwise it refuses,
// and the confirmation page is shown.
func confirmed(act adminAction) adminAction {
	return func(q *adminReq) (string, string, error) {
		q.form = "delete"
		if q.r.PostFormValue("confirm") != "yes" {
			return "", "", interact.Errorf(interact.EINVALID, "Nothing was deleted: confirm the deletion below.")
		}
		return act(q)
	}
}

func deleteServiceOf(q *adminReq) (*deletion, error) {
	s, err := q.s.store.Service(q.ctx(), q.a, q.id())
	if err != nil {
		return nil, err
	}
	return &deletion{
		Heading:     fmt.Sprintf("Delete the service “%s”?", s.Name),
		Consequence: "Its members, distribution, system messages and Interact settings are deleted. Web pages that carry its snippet stop showing the widget. Past sessions stay in the sessions list. This cannot be undone.",
		Action:      "/admin/services/" + s.ID + "/delete", Cancel: "/admin/services/" + s.ID, Button: "Delete service",
	}, nil
}

func deleteTemplateOf(q *adminReq) (*deletion, error) {
	t, err := q.s.store.DomainTemplate(q.ctx(), q.a, q.id())
	if err != nil {
		return nil, err
	}
	return &deletion{
		Heading:     fmt.Sprintf("Delete the domain template “%s”?", t.Name),
		Consequence: "A template still selected by a service or user cannot be deleted: deselect it there first. This cannot be undone.",
		Action:      "/admin/templates/" + t.ID + "/delete", Cancel: "/admin/templates/" + t.ID, Button: "Delete template",
	}, nil
}

func deleteOUOf(q *adminReq) (*deletion, error) {
	o, err := q.s.store.OU(q.ctx(), q.a, q.id())
	if err != nil {
		return nil, err
	}
	return &deletion{
		Heading:     fmt.Sprintf("Delete the OU “%s”?", o.Name),
		Consequence: "Only an empty OU can be deleted: move or delete its OUs, users, services and domain templates first. This cannot be undone.",
		Action:      "/admin/ous/" + o.ID + "/delete", Cancel: "/admin/ous", Button: "Delete OU",
	}, nil
}

func deleteUserOf(q *adminReq) (*deletion, error) {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return nil, err
	}
	return &deletion{
		Heading:     fmt.Sprintf("Delete the user %s (%s)?", u.Name, u.Email),
		Consequence: "They can no longer sign in, their API tokens stop working and they leave every service. This cannot be undone.",
		Action:      "/admin/users/" + u.ID + "/delete", Cancel: "/admin/users/" + u.ID, Button: "Delete user",
	}, nil
}

func revokeTokenOf(q *adminReq) (*deletion, error) {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return nil, err
	}
	tokens, err := q.s.store.APITokens(q.ctx(), q.a, u.ID)
	if err != nil {
		return nil, err
	}
	id := q.r.PathValue("tokenId")
	for _, t := range tokens {
		if t.ID == id {
			return &deletion{
				Heading:     fmt.Sprintf("Revoke the API token “%s” of %s?", t.Name, u.Name),
				Consequence: "Programs that use it are refused from now on. This cannot be undone: a new token has a new secret.",
				Action:      "/admin/users/" + u.ID + "/tokens/" + t.ID + "/delete", Cancel: "/admin/users/" + u.ID, Button: "Revoke token",
			}, nil
		}
	}
	return nil, interact.Errorf(interact.ENOTFOUND, "No API token with id %q.", id)
}
