package widgetapi

import (
	"net/http"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// Ratings: after a conversation with an agent has ended, its visitor may
// rate it once (POST /widget/v1/tasks/{id}/rating with their visitor
// token). Only after the end: a rating is the visitor's verdict on the
// whole conversation, and an agent must not see it change mid-chat. An
// identical resend (a retry after a lost answer) gets the same 200 and the
// stored rating; a different second rating is refused with rating_exists.

type ratingRequest struct {
	Stars   int    `json:"stars"`
	Comment string `json:"comment"`
}

// rate stores the visitor's rating of their task.
func (s *API) rate(w http.ResponseWriter, r *http.Request) error {
	claims, err := s.taskAuth(r)
	if err != nil {
		return err
	}
	var req ratingRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	if !contactFrom(r).Settings.Ratings {
		return interact.Errorf(interact.ERATINGDISABLED, "This service does not ask for ratings.")
	}
	rating, _, err := s.store.RateTask(r.Context(), claims.Task, interact.Rating{Stars: req.Stars, Comment: req.Comment})
	return endpoint.Reply(w, http.StatusOK, rating, err)
}
