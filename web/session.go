package web

import (
	"net/http"
	"strings"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// loginRequest signs in. TenantID chooses among the tenants whose users
// hold the address and password, after a tenant_required answer.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TenantID string `json:"tenantId,omitempty"`
}

// sessionInfo answers sign-in and GET /session.
type sessionInfo struct {
	User      *interact.User `json:"user"`
	CSRFToken string         `json:"csrfToken"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Ping(r.Context()); err != nil {
		// The store logs an outage once; readiness is polled often.
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ready\n"))
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	addr := endpoint.ClientAddr(r)
	if err := s.signIn.Check(w, req.Email, addr); err != nil {
		return err
	}
	token, csrf, a, err := s.store.Login(r.Context(), req.Email, req.Password, req.TenantID)
	if err != nil {
		if interact.ErrorCode(err) == interact.EUNAUTHORIZED {
			s.signIn.Failed(req.Email, addr)
		}
		return err
	}
	u, err := s.store.User(r.Context(), a, a.UserID)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: endpoint.SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://") || r.TLS != nil,
	})
	endpoint.WriteJSON(w, http.StatusOK, sessionInfo{User: u, CSRFToken: csrf})
	return nil
}

func (s *Server) session(w http.ResponseWriter, r *http.Request) error {
	a := endpoint.ActorFrom(r)
	u, err := s.store.User(r.Context(), a, a.UserID)
	if err != nil {
		return err
	}
	info := sessionInfo{User: u}
	if c, err := r.Cookie(endpoint.SessionCookie); err == nil && r.Header.Get("Authorization") == "" {
		if _, csrf, err := s.store.SessionActor(r.Context(), c.Value); err == nil {
			info.CSRFToken = csrf
		}
	}
	endpoint.WriteJSON(w, http.StatusOK, info)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(endpoint.SessionCookie); err == nil {
		if err := s.store.Logout(r.Context(), c.Value); err != nil {
			return err
		}
		s.revoked(endpoint.ActorFrom(r).UserID)
	}
	http.SetCookie(w, &http.Cookie{Name: endpoint.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
