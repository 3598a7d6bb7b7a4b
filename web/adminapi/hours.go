package adminapi

// The admin REST API of opening hours: a service's hours (the Hours tab)
// and the holiday calendars, which are scoped like domain templates.

import (
	"net/http"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// hoursResponse is a service's Hours tab: its hours, whether it is open
// now and when it opens next, and the calendars it may select.
type hoursResponse struct {
	interact.ServiceHours
	interact.HoursStatus
	SelectableHolidayCalendars []interact.HolidayCalendar `json:"selectableHolidayCalendars"`
}

func (s *API) hoursReply(w http.ResponseWriter, h *interact.ServiceHours, err error) error {
	if err != nil {
		return err
	}
	sched, err := h.Schedule()
	if err != nil {
		return err
	}
	out := hoursResponse{ServiceHours: *h, HoursStatus: interact.StatusAt(sched, s.cfg.Now()),
		SelectableHolidayCalendars: h.SelectableCalendars}
	if out.SelectableHolidayCalendars == nil {
		out.SelectableHolidayCalendars = []interact.HolidayCalendar{}
	}
	endpoint.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (s *API) getHours(w http.ResponseWriter, r *http.Request) error {
	h, err := s.store.ServiceHours(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return s.hoursReply(w, h, err)
}

// putHours replaces a service's hours; bad input changes nothing.
func (s *API) putHours(w http.ResponseWriter, r *http.Request) error {
	var in interact.ServiceHours
	if err := endpoint.Decode(w, r, &in); err != nil {
		return err
	}
	h, err := s.store.SaveServiceHours(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), in)
	return s.hoursReply(w, h, err)
}

func (s *API) listCalendars(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.HolidayCalendars(r.Context(), endpoint.ActorFrom(r))
	return endpoint.ReplyList(w, items, err)
}

func (s *API) createCalendar(w http.ResponseWriter, r *http.Request) error {
	var c interact.HolidayCalendar
	if err := endpoint.Decode(w, r, &c); err != nil {
		return err
	}
	out, err := s.store.CreateHolidayCalendar(r.Context(), endpoint.ActorFrom(r), c)
	return endpoint.Reply(w, http.StatusCreated, out, err)
}

func (s *API) getCalendar(w http.ResponseWriter, r *http.Request) error {
	out, err := s.store.HolidayCalendar(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) patchCalendar(w http.ResponseWriter, r *http.Request) error {
	var upd interact.HolidayCalendarUpdate
	if err := endpoint.Decode(w, r, &upd); err != nil {
		return err
	}
	out, err := s.store.UpdateHolidayCalendar(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), upd)
	return endpoint.Reply(w, http.StatusOK, out, err)
}

func (s *API) deleteCalendar(w http.ResponseWriter, r *http.Request) error {
	return endpoint.NoContent(w, s.store.DeleteHolidayCalendar(r.Context(), endpoint.ActorFrom(r), r.PathValue("id")))
}
