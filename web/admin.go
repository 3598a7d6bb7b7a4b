package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
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

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.store.Tenants(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, ts, err)
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) error {
	var req newTenantRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	t, u, err := s.store.CreateTenant(r.Context(), endpoint.ActorFrom(r), interact.NewTenant{
		Tenant: interact.Tenant{Name: req.Name}, AdminEmail: req.AdminEmail, AdminName: req.AdminName, AdminPassword: req.AdminPassword,
	})
	return endpoint.Reply(w, http.StatusCreated, newTenantResponse{Tenant: t, Admin: u}, err)
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.store.Tenant(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, t, err)
}

func (s *Server) patchTenant(w http.ResponseWriter, r *http.Request) error {
	var upd interact.TenantUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	t, err := s.store.UpdateTenant(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, t, err)
}

func (s *Server) getOwnTenant(w http.ResponseWriter, r *http.Request) error {
	a := endpoint.ActorFrom(r)
	t, err := s.store.Tenant(r.Context(), a, a.TenantID)
	return endpoint.Reply(w, http.StatusOK, t, err)
}

func (s *Server) patchOwnTenant(w http.ResponseWriter, r *http.Request) error {
	var upd interact.TenantUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	a := endpoint.ActorFrom(r)
	t, err := s.store.UpdateTenant(r.Context(), a, a.TenantID, upd)
	return endpoint.Reply(w, http.StatusOK, t, err)
}

// OUs.

func (s *Server) listOUs(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.OUs(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *Server) createOU(w http.ResponseWriter, r *http.Request) error {
	var o interact.OU
	if err := endpoint.Decode(w, r, &o); err != nil {
		return err
	}
	out, err := s.store.CreateOU(r.Context(), endpoint.ActorFrom(r), o)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *Server) getOU(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.OU(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) patchOU(w http.ResponseWriter, r *http.Request) error {
	var upd interact.OUUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateOU(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) deleteOU(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteOU(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

// Users.

type newUserRequest struct {
	interact.User
	Password string `json:"password"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.Users(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req newUserRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	out, err := s.store.CreateUser(r.Context(), endpoint.ActorFrom(r), req.User, req.Password)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.User(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	var upd interact.UserUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateUser(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteUser(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

type newTokenRequest struct {
	Name string `json:"name"`
}

type newTokenResponse struct {
	Token  *interact.APIToken `json:"token"`
	Secret string             `json:"secret"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.APITokens(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.ReplyList(w, items, err)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req newTokenRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	t, secret, err := s.store.CreateAPIToken(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), req.Name)
	return endpoint.Reply(w, http.StatusCreated, newTokenResponse{Token: t, Secret: secret}, err)
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteAPIToken(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), r.PathValue("tokenId")))
}

// Services.

type memberRequest struct {
	Active bool `json:"active"`
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.Services(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request) error {
	var svc interact.Service
	if err := endpoint.Decode(w, r, &svc); err != nil {
		return err
	}
	out, err := s.store.CreateService(r.Context(), endpoint.ActorFrom(r), svc)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.Service(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) patchService(w http.ResponseWriter, r *http.Request) error {
	var upd interact.ServiceUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateService(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) deleteService(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteService(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.Members(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.ReplyList(w, items, err)
}

func (s *Server) putMember(w http.ResponseWriter, r *http.Request) error {
	req := memberRequest{Active: true}
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	out, err := s.store.PutMember(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), r.PathValue("userId"), req.Active)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteMember(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), r.PathValue("userId")))
}

// Domain templates.

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.DomainTemplates(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	var t interact.DomainTemplate
	if err := endpoint.Decode(w, r, &t); err != nil {
		return err
	}
	out, err := s.store.CreateDomainTemplate(r.Context(), endpoint.ActorFrom(r), t)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.DomainTemplate(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) patchTemplate(w http.ResponseWriter, r *http.Request) error {
	var upd interact.DomainTemplateUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateDomainTemplate(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteDomainTemplate(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}

// Audit.

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := auditFilter(q)
	var err error
	if f.Since, f.Until, f.Limit, err = pageParams(q, interact.MaxAuditPage); err != nil {
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

// auditFilter and sessionFilter read a list's filter fields from the query
// (the API and the console read times and limits each in their own format).
func auditFilter(q url.Values) interact.AuditFilter {
	return interact.AuditFilter{EntityKind: q.Get("entityKind"), EntityID: q.Get("entityId"), ActorID: q.Get("actorId"),
		Action: q.Get("action"), Cursor: q.Get("cursor")}
}

func sessionFilter(q url.Values) interact.SessionFilter {
	return interact.SessionFilter{ServiceID: q.Get("serviceId"), Outcome: q.Get("outcome"), Cursor: q.Get("cursor"),
		Code: q.Get("code"), Tag: q.Get("tag")}
}

// pageParams reads the since, until and limit query parameters of a list.
func pageParams(q url.Values, maxLimit int) (since, until time.Time, limit int, err error) {
	if since, err = queryTime(q.Get("since"), "since"); err != nil {
		return
	}
	if until, err = queryTime(q.Get("until"), "until"); err != nil {
		return
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxLimit {
			err = interact.Errorf(interact.EINVALID, "limit must be a number from 1 to %d.", maxLimit)
		}
	}
	return
}

func queryTime(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, interact.Errorf(interact.EINVALID, "%s must be an RFC 3339 time such as 2026-11-25T10:00:00Z.", name)
	}
	return t, nil
}

// Sessions.

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := sessionFilter(q)
	var err error
	if f.Since, f.Until, f.Limit, err = pageParams(q, interact.MaxSessionPage); err != nil {
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
