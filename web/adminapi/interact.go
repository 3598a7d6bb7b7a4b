package adminapi

import (
	"context"
	"net/http"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

type rotateRequest struct {
	// GraceSeconds keeps the old key valid this long; omitted: the server's default.
	GraceSeconds *int `json:"graceSeconds"`
}

func (s *API) getInteract(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.store.Interact(r.Context(), endpoint.ActorFrom(r), kind, r.PathValue("id"))
		return endpoint.Reply(w, http.StatusOK, st.WithSnippet(s.cfg.PublicURL), err)
	}
}

func (s *API) putInteract(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var upd interact.InteractUpdate
		if err := endpoint.Decode(w, r, &upd); err != nil {
			return err
		}
		st, err := s.store.UpdateInteract(r.Context(), endpoint.ActorFrom(r), kind, r.PathValue("id"), upd)
		return endpoint.Reply(w, http.StatusOK, st.WithSnippet(s.cfg.PublicURL), err)
	}
}

func (s *API) rotateKey(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req rotateRequest
		if r.ContentLength != 0 {
			if err := endpoint.Decode(w, r, &req); err != nil {
				return err
			}
		}
		grace := s.cfg.KeyGrace
		if g := req.GraceSeconds; g != nil {
			if max := int(interact.MaxKeyGrace / time.Second); *g < 0 || *g > max {
				return interact.Errorf(interact.EINVALID, "graceSeconds must be between 0 and %d.", max)
			}
			grace = time.Duration(*g) * time.Second
		}
		st, err := s.store.RotateWidgetKey(r.Context(), endpoint.ActorFrom(r), kind, r.PathValue("id"), grace)
		return endpoint.Reply(w, http.StatusOK, st.WithSnippet(s.cfg.PublicURL), err)
	}
}

type originCheckRequest struct {
	ContactID string `json:"contactId"`
	Origin    string `json:"origin"`
}

type originCheckResponse struct {
	Allowed        bool                  `json:"allowed"`
	RestrictAccess bool                  `json:"restrictAccess"`
	Match          *interact.OriginMatch `json:"match"`
	Reason         *reason               `json:"reason"`
}

type reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// originCheck answers whether a page at an origin could use a contact of
// the caller's tenant now, and which template entry allows it.
func (s *API) originCheck(w http.ResponseWriter, r *http.Request) error {
	var req originCheckRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	if req.ContactID == "" {
		return interact.Errorf(interact.EINVALID, "contactId is required.")
	}
	resp, err := s.checkOrigin(r.Context(), endpoint.ActorFrom(r).TenantID, req.ContactID, req.Origin)
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, resp)
	return nil
}

func (s *API) checkOrigin(ctx context.Context, tenantID, contactID, origin string) (*originCheckResponse, error) {
	c, err := s.store.ContactByID(ctx, tenantID, contactID)
	if err != nil {
		return nil, err
	}
	resp := &originCheckResponse{RestrictAccess: c.Settings.RestrictAccess}
	m, why := c.CheckOrigin(origin)
	if why != nil {
		if interact.ErrorCode(why) == interact.EINTERNAL {
			return nil, why
		}
		resp.Reason = &reason{Code: interact.ErrorCode(why), Message: interact.ErrorMessage(why)}
	}
	resp.Allowed, resp.Match = why == nil, m
	return resp, nil
}
