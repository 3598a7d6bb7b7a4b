package adminconsole

import (
	"github.com/interact-oss/interact"
)

// Outbox: the tenant's mails (tenant admins), and whether e-mail is on.

func viewOutbox(q *adminReq) error {
	f := interact.OutboxFilter{State: interact.MailState(q.r.URL.Query().Get("state")), Cursor: q.r.URL.Query().Get("cursor"), Limit: 100}
	mails, next, err := q.s.store.Outbox(q.ctx(), q.a, f)
	if err != nil {
		return err
	}
	q.render("outbox", "Outbox", map[string]any{"Mails": mails, "Next": next, "State": string(f.State), "MailOn": q.s.cfg.MailOn,
		"States": []interact.MailState{interact.MailQueued, interact.MailSending, interact.MailSent, interact.MailFailed}})
	return nil
}
