package widgetapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/mailtext"
)

// Out of hours: the refusal of new tasks, and the message a visitor may
// leave instead.

// closed refuses new work while the contact's service is out of hours.
func closed(c *interact.Contact, st interact.HoursStatus) error {
	if st.Open {
		return nil
	}
	name := "This service"
	if c.Service != nil {
		name = c.Service.Name
	}
	if st.OpensAt != nil {
		return interact.Errorf(interact.ECLOSED, "%s is closed now; it opens again at %s. You can leave a message.", name, st.OpensAt.Format(time.RFC3339))
	}
	return interact.Errorf(interact.ECLOSED, "%s is closed now. You can leave a message.", name)
}

type closedMessageRequest struct {
	WidgetKey string           `json:"widgetKey"`
	Visitor   interact.Visitor `json:"visitor"`
	Text      string           `json:"text"`
	// VisitorID is the browser's random visitor id (see interact.VisitorKey):
	// the message is one of the visitor's earlier conversations next time.
	VisitorID string `json:"visitorId"`
}

// leaveClosedMessage stores a visitor's message while the service is
// closed: an ended task with the outcome closed, its pre-chat data and the
// message, in one write. Only out of hours (conflict while open: start a
// chat), with the same pre-chat checks and new-task rate limits as a chat.
func (s *API) leaveClosedMessage(w http.ResponseWriter, r *http.Request) error {
	cached := cachedOf(r)
	c := cached.c
	var req closedMessageRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	check := req.Visitor.Validate
	if w := widgetOf(r); w != nil {
		check = func() error { return w.CheckVisitor(&req.Visitor) }
	}
	if err := check(); err != nil {
		return err
	}
	text, err := interact.ValidateMessage(req.Text, "leave")
	if err != nil {
		return err
	}
	if err := interact.CheckVisitorID(req.VisitorID); err != nil {
		return err
	}
	if err := s.checkKey(c, req.WidgetKey); err != nil {
		return err
	}
	if err := c.Offers(interact.ModalityChat); err != nil && c.Offers(interact.ModalityAudio) != nil {
		return err // the contact takes no written or spoken contact at all
	}
	if err := s.operatorGate(); err != nil {
		return err
	}
	if c.Service == nil || cached.status(s.cfg.Now()).Open {
		return interact.Errorf(interact.ECONFLICT, "The service is open: start a chat instead.")
	}
	if ok, wait := s.taskAddr.Allow(endpoint.ClientAddr(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return interact.Errorf(interact.ERATELIMITED, "Too many new contacts from your address; try again in %d seconds.", int(wait.Seconds())+1)
	}
	if ok, wait := s.taskKey.Allow(keyFingerprint(req.WidgetKey)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return interact.Errorf(interact.ERATELIMITED, "This widget is starting too many contacts; try again in %d seconds.", int(wait.Seconds())+1)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	t := &interact.Task{ID: interact.NewID(), TenantID: c.Tenant.ID, ServiceID: c.Service.ID, ContactID: c.Settings.ContactID,
		Modality: interact.ModalityChat, State: interact.TaskEnded, Visitor: req.Visitor, Origin: r.Header.Get("Origin"),
		CreatedAt: now, QueuedAt: now, EndedAt: &now, Outcome: interact.OutcomeClosed, LeftMessage: text,
		VisitorKey: interact.VisitorKey(c.Settings.ContactID, r.Header.Get("Origin"), req.VisitorID)}
	notify, err := s.offlineNote(r, c, req.Visitor, interact.OutcomeClosed, text)
	if err != nil {
		return err
	}
	if err := s.store.CreateLeftMessage(r.Context(), t, notify); err != nil {
		return err
	}
	if notify != nil {
		s.cfg.MailQueued()
	}
	endpoint.WriteJSON(w, http.StatusCreated, map[string]string{"taskId": t.ID})
	return nil
}

// notifies reports whether left messages of contact c are mailed: e-mail
// is on and c's service has a notification address.
func (s *API) notifies(c *interact.Contact) bool {
	return s.cfg.MailFrom != "" && c.Service != nil && c.Service.NotifyEmail != ""
}

// offlineNote is the mail telling the service's team about a left message,
// or nil when e-mail is off or the service has no notification address.
// It is written in the visitor's language: the site's, most likely also
// the team's.
func (s *API) offlineNote(r *http.Request, c *interact.Contact, v interact.Visitor, outcome, text string) (*interact.Mail, error) {
	if !s.notifies(c) {
		return nil, nil
	}
	m, err := mailtext.OfflineMessage(mailtext.Language(r.Header.Get("Accept-Language")), mailtext.OfflineNote{
		Service: c.Service.Name, VisitorName: v.Name, VisitorEmail: v.Email, Origin: r.Header.Get("Origin"),
		Outcome: outcome, Text: text, ConsoleURL: s.cfg.PublicURL + "/agent"})
	if err != nil {
		return nil, err
	}
	mail := &interact.Mail{TenantID: c.Tenant.ID, Kind: interact.MailOfflineNote, From: s.cfg.MailFrom, To: c.Service.NotifyEmail,
		Subject: m.Subject, Text: m.Text, HTML: m.HTML}
	if v.Email != "" {
		if email, err := interact.NormalizeEmail(v.Email); err == nil {
			mail.ReplyTo = email
		}
	}
	return mail, nil
}
