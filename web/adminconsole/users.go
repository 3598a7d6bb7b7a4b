package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"fmt"
	"slices"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// Users.

func viewUsers(q *adminReq) error {
	users, err := q.s.store.Users(q.ctx(), q.a)
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("users", "Users", map[string]any{"Users": users, "Options": opts, "OUNames": names, "MinPassword": interact.MinPasswordLen, "MailOn": q.s.cfg.MailOn})
	return nil
}

func (q *adminReq) licenses() interact.Licenses {
	return interact.Licenses{ContactCenter: q.on("contactCenter"), InstantMessaging: q.on("instantMessaging"), Interact: q.on("interact")}
}

func actCreateUser(q *adminReq) (string, string, error) {
	roles := []interact.Role{}
	if q.on("tenantAdmin") {
		roles = append(roles, interact.Role{Role: interact.RoleTenantAdmin})
	}
	password := q.r.PostFormValue("password")
	u, err := q.s.cfg.CreateUser(q.ctx(), q.a, interact.User{Email: q.val("email"), Name: q.val("name"), OUID: q.val("ou"),
		Licenses: q.licenses(), Roles: roles}, password, q.r.Header.Get("Accept-Language"))
	if err != nil {
		return "", "", err
	}
	if password == "" {
		return "/admin/users/" + u.ID, fmt.Sprintf("User %s created; an invitation to set their password is queued (see Outbox).", u.Email), nil
	}
	return "/admin/users/" + u.ID, fmt.Sprintf("User %s created.", u.Email), nil
}

type roleView struct {
	interact.Role
	Label string
}

func viewUser(q *adminReq) error {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	services, err := q.s.store.Services(q.ctx(), q.a)
	if err != nil {
		return err
	}
	svcNames := map[string]string{}
	for _, s := range services {
		svcNames[s.ID] = s.Name
	}
	var roles []roleView
	for _, r := range u.Roles {
		label := roleName(r.Role)
		switch r.Role {
		case interact.RoleOUAdmin:
			label = "OU admin of " + orID(names[r.ScopeID], r.ScopeID)
		case interact.RoleServiceOwner:
			label = "Service owner of " + orID(svcNames[r.ScopeID], r.ScopeID)
		}
		roles = append(roles, roleView{Role: r, Label: label})
	}
	tokens, tokErr := q.s.store.APITokens(q.ctx(), q.a, u.ID)
	d := map[string]any{"User": u, "Options": opts, "OUNames": names, "Services": services, "Roles": roles,
		"Tokens": tokens, "TokensError": errText(tokErr), "MinPassword": interact.MinPasswordLen}
	for k, v := range q.extra {
		d[k] = v
	}
	q.render("user", u.Name, d)
	return nil
}

func orID(name, id string) string {
	if name == "" {
		return id
	}
	return name
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return interact.ErrorMessage(err)
}

func actUpdateUser(q *adminReq) (string, string, error) {
	name, email, ou, lic := q.val("name"), q.val("email"), q.val("ou"), q.licenses()
	u, err := q.s.store.UpdateUser(q.ctx(), q.a, q.id(), interact.UserUpdate{Name: &name, Email: &email, OUID: &ou, Licenses: &lic})
	if err != nil {
		return "", "", err
	}
	return "/admin/users/" + u.ID, "User saved.", nil
}

func actAddRole(q *adminReq) (string, string, error) {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	r := interact.Role{Role: q.val("role")}
	switch r.Role {
	case interact.RoleOUAdmin:
		r.ScopeID = q.val("ou")
	case interact.RoleServiceOwner:
		r.ScopeID = q.val("service")
	}
	roles := append(slices.Clone(u.Roles), r)
	if _, err := q.s.store.UpdateUser(q.ctx(), q.a, u.ID, interact.UserUpdate{Roles: &roles}); err != nil {
		return "", "", err
	}
	return "/admin/users/" + u.ID, "Role added.", nil
}

func actRemoveRole(q *adminReq) (string, string, error) {
	u, err := q.s.store.User(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	drop := interact.Role{Role: q.val("role"), ScopeID: q.val("scope")}
	roles := slices.DeleteFunc(slices.Clone(u.Roles), func(r interact.Role) bool { return r == drop })
	if roles == nil {
		roles = []interact.Role{}
	}
	if _, err := q.s.store.UpdateUser(q.ctx(), q.a, u.ID, interact.UserUpdate{Roles: &roles}); err != nil {
		return "", "", err
	}
	return "/admin/users/" + u.ID, "Role removed.", nil
}

func actPassword(q *adminReq) (string, string, error) {
	p := q.r.PostFormValue("password")
	_, err := q.s.store.UpdateUser(q.ctx(), q.a, q.id(), interact.UserUpdate{Password: &p})
	return "/admin/users/" + q.id(), "Password reset.", err
}

// viewCreateToken creates an API token and shows its secret once, on the
// answer to the POST itself (the secret is never stored to show again).
func viewCreateToken(q *adminReq) error {
	t, secret, err := q.s.store.CreateAPIToken(q.ctx(), q.a, q.id(), q.val("name"))
	if err != nil {
		q.err, q.status = err, endpoint.StatusOf(err)
	} else {
		q.s.changed(q.a.TenantID)
		q.status = 201
		q.flash = fmt.Sprintf("API token %q created. Copy its secret now: it is shown only once.", t.Name)
		q.extra = map[string]any{"NewToken": t, "Secret": secret}
	}
	return viewUser(q)
}

func actDeleteToken(q *adminReq) (string, string, error) {
	return "/admin/users/" + q.id(), "API token revoked.", q.s.store.DeleteAPIToken(q.ctx(), q.a, q.id(), q.r.PathValue("tokenId"))
}

func actDeleteUser(q *adminReq) (string, string, error) {
	return "/admin/users", "User deleted.", q.s.store.DeleteUser(q.ctx(), q.a, q.id())
}
