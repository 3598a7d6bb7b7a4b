package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"fmt"
	"slices"

	"github.com/interact-oss/interact"
)

// Services.

func viewServices(q *adminReq) error {
	services, err := q.s.store.Services(q.ctx(), q.a)
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("services", "Services", map[string]any{"Services": services, "Options": opts, "OUNames": names})
	return nil
}

func actCreateService(q *adminReq) (string, string, error) {
	svc := interact.Service{Name: q.val("name"), OUID: q.val("ou"), License: interact.ServiceLicense(q.val("license")),
		InteractLicense: q.on("interactLicense"), Messages: interact.DefaultSystemMessages()}
	out, err := q.s.store.CreateService(q.ctx(), q.a, svc)
	if err != nil {
		return "", "", err
	}
	return "/admin/services/" + out.ID, fmt.Sprintf("Service %q created.", out.Name), nil
}

var outcomes = []string{interact.OutcomeHandled, interact.OutcomeTransferred, interact.OutcomeHangupInQueue, interact.OutcomeQueueTimeout,
	interact.OutcomeNoAgent, interact.OutcomeAbandoned, interact.OutcomeTransferFailed, interact.OutcomeClosed}

func viewServiceTab(tab string) func(*adminReq) error {
	return func(q *adminReq) error {
		svc, err := q.s.store.Service(q.ctx(), q.a, q.id())
		if err != nil {
			return err
		}
		_, opts, names, err := q.ouTree()
		if err != nil {
			return err
		}
		it, err := q.interactTab(interact.OwnerService, svc.ID, "/admin/services/"+svc.ID+"/interact")
		if err != nil {
			return err
		}
		d := map[string]any{"Service": svc, "Tab": tab, "Options": opts, "OUNames": names, "Interact": it, "MailOn": q.s.cfg.MailOn,
			"Licenses": []interact.ServiceLicense{interact.LicenseAdvancedRouting, interact.LicenseEnterpriseRouting, interact.LicenseContactCenter}}
		switch tab {
		case "members":
			members, err := q.s.store.Members(q.ctx(), q.a, svc.ID)
			if err != nil {
				return err
			}
			users, err := q.s.store.Users(q.ctx(), q.a)
			if err != nil {
				return err
			}
			in := map[string]bool{}
			for _, m := range members {
				in[m.UserID] = true
			}
			users = slices.DeleteFunc(users, func(u interact.User) bool { return in[u.ID] })
			d["Members"], d["Users"] = members, users
		case "distribution":
			services, err := q.s.store.Services(q.ctx(), q.a)
			if err != nil {
				return err
			}
			d["Services"] = slices.DeleteFunc(services, func(o interact.Service) bool { return o.ID == svc.ID })
		case "interact":
			if it.Unavailable != "" {
				q.status = 403
			}
		case "hours":
			if d["Hours"], err = q.hoursTab(svc); err != nil {
				return err
			}
		}
		q.render("service", svc.Name, d)
		return nil
	}
}

func actServiceGeneral(q *adminReq) (string, string, error) {
	svc, err := q.s.store.Service(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	name, ou, notify := q.val("name"), q.val("ou"), q.val("notifyEmail")
	upd := interact.ServiceUpdate{Name: &name, OUID: &ou, NotifyEmail: &notify}
	// Licences are sent only when they change: only tenant admins may change them.
	if _, ok := q.r.PostForm["license"]; ok {
		if l := interact.ServiceLicense(q.val("license")); l != svc.License {
			upd.License = &l
		}
		if il := q.on("interactLicense"); il != svc.InteractLicense {
			upd.InteractLicense = &il
		}
	}
	if _, err := q.s.store.UpdateService(q.ctx(), q.a, svc.ID, upd); err != nil {
		return "", "", err
	}
	return "/admin/services/" + svc.ID, "Service saved.", nil
}

func actDeleteService(q *adminReq) (string, string, error) {
	return "/admin/services", "Service deleted.", q.s.store.DeleteService(q.ctx(), q.a, q.id())
}

func actPutMember(q *adminReq) (string, string, error) {
	m, err := q.s.store.PutMember(q.ctx(), q.a, q.id(), q.val("user"), q.on("active"))
	if err != nil {
		return "", "", err
	}
	state := "inactive"
	if m.Active {
		state = "active"
	}
	return "/admin/services/" + q.id() + "/members", fmt.Sprintf("%s is an %s member.", orID(m.Name, m.Email), state), nil
}

func actDeleteMember(q *adminReq) (string, string, error) {
	return "/admin/services/" + q.id() + "/members", "Member removed.", q.s.store.DeleteMember(q.ctx(), q.a, q.id(), q.r.PathValue("userId"))
}

func actDistribution(q *adminReq) (string, string, error) {
	svc, err := q.s.store.Service(q.ctx(), q.a, q.id())
	if err != nil {
		return "", "", err
	}
	d := svc.Distribution
	d.Type = q.val("type")
	for _, f := range []struct {
		name, label string
		p           *int
	}{
		{"ringTimeoutSeconds", "Ring timeout", &d.RingTimeoutSeconds},
		{"ronaResetSeconds", "RONA reset", &d.RONAResetSeconds},
		{"acwSeconds", "After-call work", &d.ACWSeconds},
		{"acwExtensionSeconds", "ACW extension", &d.ACWExtensionSeconds},
		{"defaultPriority", "Priority", &d.DefaultPriority},
		{"maxWaitSeconds", "Max wait", &d.MaxWaitSeconds},
	} {
		if *f.p, err = q.num(f.name, f.label); err != nil {
			return "", "", err
		}
	}
	d.PersistentRONA, d.ACWEnabled, d.StrictPriority = q.on("persistentRona"), q.on("acwEnabled"), q.on("strictPriority")
	d.OverflowAction, d.OverflowServiceID, d.OverflowMessage = q.val("overflowAction"), q.val("overflowServiceId"), q.val("overflowMessage")
	if _, err := q.s.store.UpdateService(q.ctx(), q.a, svc.ID, interact.ServiceUpdate{Distribution: &d}); err != nil {
		return "", "", err
	}
	return "/admin/services/" + svc.ID + "/distribution", "Distribution saved.", nil
}

func actMessages(q *adminReq) (string, string, error) {
	m := interact.SystemMessages{Welcome: q.val("welcome"), Queued: q.val("queued"), Accepted: q.val("accepted"), Ended: q.val("ended"),
		AgentNameMode: q.val("agentNameMode"), AgentNameTemplate: q.val("agentNameTemplate")}
	if _, err := q.s.store.UpdateService(q.ctx(), q.a, q.id(), interact.ServiceUpdate{Messages: &m}); err != nil {
		return "", "", err
	}
	return "/admin/services/" + q.id() + "/messages", "System messages saved.", nil
}
