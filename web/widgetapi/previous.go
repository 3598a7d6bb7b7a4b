package widgetapi

import (
	"net/http"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// previousConversation shows the visitor the conversation before their
// current task from the same browser, where the contact switches that on.
// It reads through the visitor's token for the current task: the task's
// visitor key (contact, page origin and visitor id) finds the previous one,
// so an id alone, or one carried to another origin or contact, shows
// nothing. An e-mail address the visitor typed never finds anything.
func (s *API) previousConversation(w http.ResponseWriter, r *http.Request) error {
	claims, err := s.taskAuth(r)
	if err != nil {
		return err
	}
	if !contactFrom(r).Settings.VisitorHistory {
		return interact.Errorf(interact.EHISTORYDISABLED, "This service does not show previous conversations.")
	}
	prev, err := s.store.PreviousConversation(r.Context(), claims.Task)
	return endpoint.Reply(w, http.StatusOK, prev, err)
}
