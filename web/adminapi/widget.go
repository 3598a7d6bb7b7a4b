package adminapi

// The admin REST API of the widget settings of a service or of a user's
// direct contact: read, replace, and reset to the built-in defaults.

import (
	"net/http"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/ui/widget"
)

// widgetSettingsResponse is what a service or user's widget shows: the
// saved settings, or the built-in defaults when none are saved.
type widgetSettingsResponse struct {
	Saved bool `json:"saved"` // false: the built-in defaults
	interact.WidgetSettings
}

func (s *API) widgetResponse(w http.ResponseWriter, r *http.Request, kind string) error {
	saved, err := s.store.WidgetSettings(r.Context(), endpoint.ActorFrom(r), kind, r.PathValue("id"))
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, widgetSettingsResponse{Saved: saved != nil, WidgetSettings: *widget.Effective(saved)})
	return nil
}

// getWidget returns a service's or user's widget settings.
func (s *API) getWidget(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		return s.widgetResponse(w, r, kind)
	}
}

// putWidget replaces a service's or user's widget settings, after the same
// checks as the Widget tab; an error names the bad field and stores nothing.
func (s *API) putWidget(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in interact.WidgetSettings
		if err := endpoint.Decode(w, r, &in); err != nil {
			return err
		}
		in.Normalize()
		if err := in.Validate(widget.OverridableKeys()); err != nil {
			return err
		}
		if err := s.store.SaveWidgetSettings(r.Context(), endpoint.ActorFrom(r), kind, r.PathValue("id"), &in); err != nil {
			return err
		}
		return s.widgetResponse(w, r, kind)
	}
}

// deleteWidget resets a service's or user's widget to the built-in defaults.
func (s *API) deleteWidget(kind string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.store.ResetWidgetSettings(r.Context(), endpoint.ActorFrom(r), kind, r.PathValue("id")); err != nil {
			return err
		}
		return s.widgetResponse(w, r, kind)
	}
}
