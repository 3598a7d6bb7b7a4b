package adminconsole

// The admin console's codes page: the codes of one OU (create, rename,
// delete with confirmation) and, read-only, those inherited from the OUs
// above it, which services in this OU offer too.

import (
	"fmt"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// adminCodesRoutes are the codes page's routes, below an OU.
func (s *Console) adminCodesRoutes() []endpoint.Route {
	const p = "/admin/ous/{id}/codes"
	get := func(path string, view func(*adminReq) error) endpoint.Route {
		return endpoint.Route{Method: "GET", Path: path, Tag: "admin", Summary: "Admin console page.", H: s.adminView(view)}
	}
	post := func(path string, act adminAction, view func(*adminReq) error) endpoint.Route {
		return endpoint.Route{Method: "POST", Path: path, Tag: "admin", Summary: "Admin console form.", H: s.adminPost(act, view)}
	}
	return []endpoint.Route{
		get(p, viewCodes),
		post(p, actCreateCode, viewCodes),
		post(p+"/{codeId}", actRenameCode, viewCodes),
		get(p+"/{codeId}/delete", confirmView(deleteCodeOf)),
		post(p+"/{codeId}/delete", confirmed(actDeleteCode), confirmView(deleteCodeOf)),
	}
}

// inheritedCodes are the codes of one OU above the page's OU.
type inheritedCodes struct {
	OU    string
	Codes []interact.Code
}

func viewCodes(q *adminReq) error {
	cs := q.s.store
	ou, err := q.s.store.OU(q.ctx(), q.a, q.id())
	if err != nil {
		return err
	}
	own, err := cs.OUCodes(q.ctx(), q.a, ou.ID)
	if err != nil {
		return err
	}
	var above []inheritedCodes
	for p := ou.ParentID; p != nil; {
		parent, err := q.s.store.OU(q.ctx(), q.a, *p)
		if err != nil {
			return err
		}
		codes, err := cs.OUCodes(q.ctx(), q.a, parent.ID)
		if err != nil {
			return err
		}
		above = append(above, inheritedCodes{OU: parent.Name, Codes: codes})
		p = parent.ParentID
	}
	q.render("codes", "Codes of "+ou.Name, map[string]any{"OU": ou, "Codes": own, "Above": above, "MaxLen": interact.MaxNameLen})
	return nil
}

func actCreateCode(q *adminReq) (string, string, error) {
	cs := q.s.store
	c, err := cs.CreateCode(q.ctx(), q.a, q.id(), q.val("name"))
	if err != nil {
		return "", "", err
	}
	return "/admin/ous/" + q.id() + "/codes", fmt.Sprintf("Code %q created.", c.Name), nil
}

// ownCode loads the code in the URL, refusing one of another OU.
func (q *adminReq) ownCode(cs Store) (*interact.Code, error) {
	c, err := cs.Code(q.ctx(), q.a, q.r.PathValue("codeId"))
	if err != nil {
		return nil, err
	}
	if c.OUID != q.id() {
		return nil, interact.Errorf(interact.ENOTFOUND, "No code with id %q on this OU.", c.ID)
	}
	return c, nil
}

func actRenameCode(q *adminReq) (string, string, error) {
	cs := q.s.store
	c, err := q.ownCode(cs)
	if err != nil {
		return "", "", err
	}
	if c, err = cs.RenameCode(q.ctx(), q.a, c.ID, q.val("name")); err != nil {
		return "", "", err
	}
	return "/admin/ous/" + q.id() + "/codes", fmt.Sprintf("Code %q saved.", c.Name), nil
}

func deleteCodeOf(q *adminReq) (*deletion, error) {
	cs := q.s.store
	c, err := q.ownCode(cs)
	if err != nil {
		return nil, err
	}
	back := "/admin/ous/" + q.id() + "/codes"
	return &deletion{
		Heading:     fmt.Sprintf("Delete the code “%s”?", c.Name),
		Consequence: "Agents can no longer attach it. Sessions already labelled with it keep it, under this name, for reporting. This cannot be undone.",
		Action:      back + "/" + c.ID + "/delete", Cancel: back, Button: "Delete code",
	}, nil
}

func actDeleteCode(q *adminReq) (string, string, error) {
	cs := q.s.store
	c, err := q.ownCode(cs)
	if err != nil {
		return "", "", err
	}
	if err := cs.DeleteCode(q.ctx(), q.a, c.ID); err != nil {
		return "", "", err
	}
	return "/admin/ous/" + q.id() + "/codes", fmt.Sprintf("Code %q deleted.", c.Name), nil
}
