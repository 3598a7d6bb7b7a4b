package interact

// Actor is the signed-in user on whose behalf an operation runs. The store
// checks every operation against the actor's roles; an Actor's TenantID
// scopes every query, so one tenant can never reach another's data.
type Actor struct {
	UserID   string
	TenantID string
	Email    string
	Roles    []Role
}

// System is the actor of interact itself (first-run set-up, demo
// seeding): it may create the first tenant and is recorded as "system" in
// the audit log. No signed-in user can be System: user ids never equal
// "system".
var System = Actor{UserID: "system", Email: "system"}

// IsSystem reports whether a is System.
func (a Actor) IsSystem() bool { return a.UserID == System.UserID && a.Email == System.Email }

func (a Actor) has(role, scope string) bool {
	for _, r := range a.Roles {
		if r.Role == role && r.ScopeID == scope {
			return true
		}
	}
	return false
}

// IsOperator reports whether a may manage tenants.
func (a Actor) IsOperator() bool { return a.has(RoleOperator, "") }

// IsTenantAdmin reports whether a may do everything inside its tenant.
func (a Actor) IsTenantAdmin() bool { return a.has(RoleTenantAdmin, "") }

// IsAdmin reports whether a holds any administrative role at all.
func (a Actor) IsAdmin() bool {
	for _, r := range a.Roles {
		if r.Role != RoleOperator {
			return true
		}
	}
	return false
}

// AdminsOU reports whether a may change entities in OU id: tenant admins
// everywhere, OU admins inside the subtree they are scoped to.
func (a Actor) AdminsOU(t OUTree, id string) bool {
	if a.IsTenantAdmin() {
		return true
	}
	for _, r := range a.Roles {
		if r.Role == RoleOUAdmin && t.Within(id, r.ScopeID) {
			return true
		}
	}
	return false
}

// ReadsOU reports whether a may read entities in OU id: where it admins, and
// up the path to the root from each OU it admins ("read up to the root").
func (a Actor) ReadsOU(t OUTree, id string) bool {
	if a.AdminsOU(t, id) {
		return true
	}
	for _, r := range a.Roles {
		if r.Role == RoleOUAdmin && t.Visible(id, r.ScopeID) {
			return true
		}
	}
	return false
}

// OwnsService reports whether a holds serviceOwner for the service.
func (a Actor) OwnsService(serviceID string) bool { return a.has(RoleServiceOwner, serviceID) }

// ManagesService reports whether a may change a service's settings
// (distribution, members, Interact settings): its OU's admins and its owners.
func (a Actor) ManagesService(t OUTree, s *Service) bool {
	return a.AdminsOU(t, s.OUID) || a.OwnsService(s.ID)
}

// ManagesServiceLicenses reports whether a may change a service's licence
// tier or Interact add-on: tenant admins only.
func (a Actor) ManagesServiceLicenses() bool { return a.IsTenantAdmin() }
