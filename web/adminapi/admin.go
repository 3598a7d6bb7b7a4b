package adminapi

import (
	"context"
	"net/http"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/mailtext"
)

// Tenants.

type newTenantRequest struct {
	Name          string `json:"name"`
	AdminEmail    string `json:"adminEmail"`
	AdminName     string `json:"adminName"`
	AdminPassword string `json:"adminPassword"`
}

type newTenantResponse struct {
	Tenant *interact.Tenant `json:"tenant"`
	Admin  *interact.User   `json:"admin"`
}

func (s *API) listTenants(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.store.Tenants(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, ts, err)
}

func (s *API) createTenant(w http.ResponseWriter, r *http.Request) error {
	var req newTenantRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	t, u, err := s.store.CreateTenant(r.Context(), endpoint.ActorFrom(r), interact.NewTenant{
		Tenant: interact.Tenant{Name: req.Name}, AdminEmail: req.AdminEmail, AdminName: req.AdminName, AdminPassword: req.AdminPassword,
	})
	return endpoint.Reply(w, http.StatusCreated, newTenantResponse{Tenant: t, Admin: u}, err)
}

func (s *API) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.Tenant(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, t, err)
}

func (s *API) patchTenant(w http.ResponseWriter, r *http.Request) error {
	var upd interact.TenantUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	t, err := s.store.UpdateTenant(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, t, err)
}

func (s *API) getOwnTenant(w http.ResponseWriter, r *http.Request) error {
	a := endpoint.ActorFrom(r)
	t, err := s.store.Tenant(r.Context(), a, a.TenantID)
	return endpoint.Reply(w, http.StatusOK, t, err)
}

func (s *API) patchOwnTenant(w http.ResponseWriter, r *http.Request) error {
	var upd interact.TenantUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	a := endpoint.ActorFrom(r)
	t, err := s.store.UpdateTenant(r.Context(), a, a.TenantID, upd)
	return endpoint.Reply(w, http.StatusOK, t, err)
}

// OUs.

func (s *API) listOUs(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.OUs(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *API) createOU(w http.ResponseWriter, r *http.Request) error {
	var o interact.OU
	if err := endpoint.Decode(w, r, &o); err != nil {
		return err
	}
	out, err := s.store.CreateOU(r.Context(), endpoint.ActorFrom(r), o)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *API) getOU(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.OU(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) patchOU(w http.ResponseWriter, r *http.Request) error {
	var upd interact.OUUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateOU(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) deleteOU(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteOU(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

// Users.

// newUserRequest creates a user. Without a password (and with e-mail on)
// the user is invited: a mail with a link to set their own password is
// queued, in the language of the request's Accept-Language.
type newUserRequest struct {
	interact.User
	Password string `json:"password,omitempty"`
}

func (s *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.Users(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var req newUserRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	out, err := s.CreateOrInvite(r.Context(), endpoint.ActorFrom(r), req.User, req.Password, r.Header.Get("Accept-Language"))
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

// CreateOrInvite creates a user with a password, or without one invites
// them by mail, in the first language of acceptLanguage interact has;
// without e-mail a password is required. The admin console creates users
// with it too.
func (s *API) CreateOrInvite(ctx context.Context, a interact.Actor, u interact.User, password, acceptLanguage string) (*interact.User, error) {
	if password != "" {
		return s.store.CreateUser(ctx, a, u, password)
	}
	if s.cfg.MailFrom == "" {
		return nil, interact.Errorf(interact.EINVALID, "Give the new user a password: this installation sends no e-mail, so no invitation can be sent.")
	}
	sender := mailtext.Sender{From: s.cfg.MailFrom, PublicURL: s.cfg.PublicURL}
	out, err := s.store.InviteUser(ctx, a, u, sender.Composer(interact.MailInvitation, mailtext.Language(acceptLanguage)))
	if err == nil {
		s.cfg.Queued()
	}
	return out, err
}

func (s *API) getUser(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.User(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) patchUser(w http.ResponseWriter, r *http.Request) error {
	var upd interact.UserUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateUser(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) deleteUser(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteUser(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

type newTokenRequest struct {
	Name string `json:"name"`
}

type newTokenResponse struct {
	Token  *interact.APIToken `json:"token"`
	Secret string             `json:"secret"`
}

func (s *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.APITokens(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.ReplyList(w, items, err)
}

func (s *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var req newTokenRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	t, secret, err := s.store.CreateAPIToken(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), req.Name)
	return endpoint.Reply(w, http.StatusCreated, newTokenResponse{Token: t, Secret: secret}, err)
}

func (s *API) deleteToken(w http.ResponseWriter, r *http.Request) error {
	err := s.store.DeleteAPIToken(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), r.PathValue("tokenId"))
	if err == nil {
		s.cfg.Revoked(r.PathValue("id"))
	}
	return endpoint.NoContent(w, err)
}

// Services.

type memberRequest struct {
	Active bool `json:"active"`
}

func (s *API) listServices(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.Services(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *API) createService(w http.ResponseWriter, r *http.Request) error {
	var svc interact.Service
	if err := endpoint.Decode(w, r, &svc); err != nil {
		return err
	}
	out, err := s.store.CreateService(r.Context(), endpoint.ActorFrom(r), svc)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *API) getService(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.Service(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) patchService(w http.ResponseWriter, r *http.Request) error {
	var upd interact.ServiceUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateService(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) deleteService(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteService(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

func (s *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.Members(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.ReplyList(w, items, err)
}

func (s *API) putMember(w http.ResponseWriter, r *http.Request) error {
	req := memberRequest{Active: true}
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	out, err := s.store.PutMember(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), r.PathValue("userId"), req.Active)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) deleteMember(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteMember(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), r.PathValue("userId")))
}

// Domain templates.

func (s *API) listTemplates(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.DomainTemplates(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *API) createTemplate(w http.ResponseWriter, r *http.Request) error {
	var t interact.DomainTemplate
	if err := endpoint.Decode(w, r, &t); err != nil {
		return err
	}
	out, err := s.store.CreateDomainTemplate(r.Context(), endpoint.ActorFrom(r), t)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *API) getTemplate(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.DomainTemplate(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) patchTemplate(w http.ResponseWriter, r *http.Request) error {
	var upd interact.DomainTemplateUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateDomainTemplate(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteDomainTemplate(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

// Audit.

func (s *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	f, err := endpoint.AuditFilter(r.URL.Query(), endpoint.APIList)
	if err != nil {
		return err
	}
	items, cursor, err := s.store.AuditEntries(r.Context(), endpoint.ActorFrom(r), f)
	if err != nil {
		return err
	}
	l := endpoint.ListOf(items)
	l.NextCursor = cursor
	endpoint.WriteJSON(w, http.StatusOK, l)
	return nil
}

// Sessions.

func (s *API) listSessions(w http.ResponseWriter, r *http.Request) error {
	f, err := endpoint.SessionFilter(r.URL.Query(), endpoint.APIList)
	if err != nil {
		return err
	}
	items, cursor, err := s.store.Sessions(r.Context(), endpoint.ActorFrom(r), f)
	if err != nil {
		return err
	}
	l := endpoint.ListOf(items)
	l.NextCursor = cursor
	endpoint.WriteJSON(w, http.StatusOK, l)
	return nil
}
