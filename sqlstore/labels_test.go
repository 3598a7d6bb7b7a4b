package sqlstore_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// Codes live on OUs: OU admins manage those in their subtree, a service
// offers those of its OU and above, and every change is audited.
func TestCodes(t *testing.T) { eachEngine(t, testCodes) }

func testCodes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	code := func(a interact.Actor, ou, name string) *interact.Code {
		t.Helper()
		c, err := w.db.CreateCode(ctx, a, ou, name)
		noErr(t, err)
		return c
	}
	billing := code(w.adminA, w.root, "Billing")
	refund := code(w.emeaAdmin, w.emea, "Refund")
	swiss := code(w.emeaAdmin, w.ch, "  Swiss  ")
	code(w.adminA, w.de, "German")
	code(w.adminA, w.apac, "Asia")
	chOther := code(w.adminA, w.ch, "Other")
	if swiss.Name != "Swiss" || swiss.OUName != "CH" {
		t.Fatalf("created %+v", swiss)
	}

	before := w.snap(t, w.adminA)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"empty name", second(w.db.CreateCode(ctx, w.adminA, w.ch, "  ")), interact.EINVALID},
		{"long name", second(w.db.CreateCode(ctx, w.adminA, w.ch, strings.Repeat("x", interact.MaxNameLen+1))), interact.EINVALID},
		{"control character", second(w.db.CreateCode(ctx, w.adminA, w.ch, "a\nb")), interact.EINVALID},
		{"duplicate on the OU", second(w.db.CreateCode(ctx, w.adminA, w.ch, "Swiss")), interact.ECONFLICT},
		{"OU admin above its subtree", second(w.db.CreateCode(ctx, w.emeaAdmin, w.root, "Mine")), interact.EFORBIDDEN},
		{"OU admin in another subtree", second(w.db.CreateCode(ctx, w.emeaAdmin, w.apac, "Mine")), interact.ENOTFOUND},
		{"another tenant", second(w.db.CreateCode(ctx, w.adminB, w.ch, "Mine")), interact.ENOTFOUND},
		{"an agent", second(w.db.CreateCode(ctx, w.agent, w.ch, "Mine")), interact.ENOTFOUND},
		{"rename to a duplicate", second(w.db.RenameCode(ctx, w.adminA, chOther.ID, "Swiss ")), interact.ECONFLICT},
		{"rename to nothing", second(w.db.RenameCode(ctx, w.adminA, chOther.ID, "")), interact.EINVALID},
		{"rename above the subtree", second(w.db.RenameCode(ctx, w.emeaAdmin, billing.ID, "Mine")), interact.EFORBIDDEN},
		{"rename in another tenant", second(w.db.RenameCode(ctx, w.adminB, billing.ID, "Mine")), interact.ENOTFOUND},
		{"delete above the subtree", w.db.DeleteCode(ctx, w.emeaAdmin, billing.ID), interact.EFORBIDDEN},
		{"delete in another tenant", w.db.DeleteCode(ctx, w.adminB, billing.ID), interact.ENOTFOUND},
	} {
		if got := interact.ErrorCode(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.want)
		}
	}
	if after := w.snap(t, w.adminA); after.LastAudit != before.LastAudit || !slices.Equal(names(w, t, w.ch), []string{"Other", "Swiss"}) {
		t.Errorf("refusals changed something: %v", names(w, t, w.ch))
	}
	if _, err := w.db.CreateCode(ctx, w.adminA, w.de, "Swiss"); err != nil {
		t.Errorf("the same name on another OU: %v", err)
	}

	// A service in CH offers CH's, EMEA's and the root's codes, nearest first.
	svc := w.service(t, w.adminA, "Support", w.ch, "", false)
	_, err := w.db.PutMember(ctx, w.adminA, svc.ID, w.agent.UserID, true)
	noErr(t, err)
	for _, a := range []interact.Actor{w.agent, w.adminA, w.emeaAdmin} {
		got, err := w.db.ServiceCodes(ctx, a, svc.ID)
		noErr(t, err)
		var ns []string
		for _, c := range got {
			ns = append(ns, c.Name)
		}
		if !slices.Equal(ns, []string{"Other", "Swiss", "Refund", "Billing"}) {
			t.Errorf("service codes for %s: %v", a.Email, ns)
		}
	}
	outsider := actorOf(w.user(t, w.adminA, "outsider", w.apac, interact.Licenses{ContactCenter: true}))
	_, err = w.db.ServiceCodes(ctx, outsider, svc.ID)
	wantCode(t, err, interact.ENOTFOUND)

	// Rename and delete are audited.
	renamed, err := w.db.RenameCode(ctx, w.emeaAdmin, swiss.ID, "Swiss customer")
	noErr(t, err)
	if renamed.Name != "Swiss customer" {
		t.Fatalf("renamed %+v", renamed)
	}
	noErr(t, w.db.DeleteCode(ctx, w.emeaAdmin, refund.ID))
	for _, action := range []string{"code.create", "code.rename", "code.delete"} {
		entries, _, err := w.db.AuditEntries(ctx, w.adminA, interact.AuditFilter{Action: action})
		noErr(t, err)
		if len(entries) == 0 {
			t.Errorf("no %s audit entry", action)
		}
	}
	_, err = w.db.Code(ctx, w.adminA, refund.ID)
	wantCode(t, err, interact.ENOTFOUND)

	// An empty OU holding only codes can be deleted, its codes with it.
	tmp := w.ou(t, w.adminA, "Tmp", w.root)
	tmpCode := code(w.adminA, tmp, "Temporary")
	noErr(t, w.db.DeleteOU(ctx, w.adminA, tmp))
	_, err = w.db.Code(ctx, w.adminA, tmpCode.ID)
	wantCode(t, err, interact.ENOTFOUND)
}

func second[T any](_ T, err error) error { return err }

func names(w *world, t *testing.T, ou string) []string {
	t.Helper()
	codes, err := w.db.OUCodes(t.Context(), w.adminA, ou)
	noErr(t, err)
	var out []string
	for _, c := range codes {
		out = append(out, c.Name)
	}
	return out
}

// Agents label the sessions they handled with their service's codes and
// free tags; the routing engine's later saves keep them; My Sessions and
// the sessions list show them, and the list filters by them.
func TestSessionLabels(t *testing.T) { eachEngine(t, testSessionLabels) }

func testSessionLabels(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	svc := w.service(t, w.adminA, "Support", w.ch, "", false)
	swiss, err := w.db.CreateCode(ctx, w.adminA, w.ch, "Swiss")
	noErr(t, err)
	billing, err := w.db.CreateCode(ctx, w.adminA, w.root, "Billing")
	noErr(t, err)
	asia, err := w.db.CreateCode(ctx, w.adminA, w.apac, "Asia")
	noErr(t, err)
	other := actorOf(w.user(t, w.adminA, "other", w.ch, interact.Licenses{ContactCenter: true}))

	now := time.Now().Truncate(time.Millisecond)
	task := &interact.Task{ID: interact.NewID(), TenantID: w.a.ID, ServiceID: svc.ID, ContactID: "c", Modality: interact.ModalityChat,
		State: interact.TaskWaiting, QueueSeq: 1, CreatedAt: now, QueuedAt: now, Visitor: interact.Visitor{Name: "Vera"}}
	noErr(t, w.db.CreateTask(ctx, task, ""))
	offer := &interact.Offer{ID: interact.NewID(), TenantID: w.a.ID, TaskID: task.ID, ServiceID: svc.ID, AgentID: w.agent.UserID,
		Modality: interact.ModalityChat, OfferedAt: now, Codes: []string{}, Tags: []string{}}
	noErr(t, w.db.SaveRouting(ctx, []*interact.Task{task}, []*interact.Offer{offer}))

	// Ringing, not yet handled: refused.
	_, err = w.db.SetSessionLabels(ctx, w.agent, offer.ID, nil, []string{"vip"})
	wantCode(t, err, interact.EFORBIDDEN)

	answered := now.Add(time.Second)
	offer.AnsweredAt, offer.Outcome = &answered, interact.OfferAccepted
	task.State, task.AgentID, task.ConnectedAt = interact.TaskConnected, w.agent.UserID, &answered
	noErr(t, w.db.SaveRouting(ctx, []*interact.Task{task}, []*interact.Offer{offer}))
	l, err := w.db.SetSessionLabels(ctx, w.agent, offer.ID, []string{swiss.ID, billing.ID, swiss.ID}, []string{"  vip ", "VIP", "follow   up", ""})
	noErr(t, err)
	if !slices.Equal(l.CodeIDs, []string{swiss.ID, billing.ID}) || !slices.Equal(l.Codes, []string{"Swiss", "Billing"}) ||
		!slices.Equal(l.Tags, []string{"vip", "follow up"}) {
		t.Fatalf("labels %+v", l)
	}

	// Refusals change nothing.
	for _, tc := range []struct {
		name string
		a    interact.Actor
		ids  []string
		tags []string
		want string
	}{
		{"a code off the service's OU path", w.agent, []string{asia.ID}, nil, interact.EINVALID},
		{"an unknown code", w.agent, []string{"nope"}, nil, interact.EINVALID},
		{"a long tag", w.agent, nil, []string{strings.Repeat("t", interact.MaxTagLen+1)}, interact.EINVALID},
		{"too many tags", w.agent, nil, manyTags(interact.MaxSessionTags + 1), interact.EINVALID},
		{"another agent", other, nil, []string{"x"}, interact.ENOTFOUND},
		{"a tenant admin", w.adminA, nil, []string{"x"}, interact.ENOTFOUND},
		{"another tenant", w.adminB, nil, []string{"x"}, interact.ENOTFOUND},
	} {
		_, err := w.db.SetSessionLabels(ctx, tc.a, offer.ID, tc.ids, tc.tags)
		if got := interact.ErrorCode(err); got != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}

	// The engine saves the offer again as the task ends: labels stay.
	ended := answered.Add(time.Minute)
	offer.EndedAt, task.State, task.EndedAt, task.Outcome = &ended, interact.TaskEnded, &ended, interact.OutcomeHandled
	noErr(t, w.db.SaveRouting(ctx, []*interact.Task{task}, []*interact.Offer{offer}))
	_, err = w.db.RenameCode(ctx, w.adminA, swiss.ID, "Swiss customer")
	noErr(t, err)
	noErr(t, w.db.DeleteCode(ctx, w.adminA, billing.ID))
	mine, next, err := w.db.AgentOffers(ctx, w.agent, interact.AgentSessionFilter{})
	noErr(t, err)
	if len(mine) != 1 || next != "" || !slices.Equal(mine[0].Codes, []string{"Billing", "Swiss customer"}) ||
		!slices.Equal(mine[0].Tags, []string{"follow up", "vip"}) || mine[0].VisitorName != "Vera" {
		t.Fatalf("my sessions %+v (next %q)", mine, next)
	}
	// A deleted code already attached may stay; it cannot be added anew.
	_, err = w.db.SetSessionLabels(ctx, w.agent, offer.ID, []string{billing.ID}, nil)
	noErr(t, err)
	l, err = w.db.SessionLabels(ctx, w.agent, offer.ID)
	noErr(t, err)
	if !slices.Equal(l.Codes, []string{"Billing"}) || len(l.Tags) != 0 {
		t.Fatalf("after removing: %+v", l)
	}

	// The sessions list shows the labels and filters by them.
	for _, tc := range []struct {
		f    interact.SessionFilter
		want int
	}{
		{interact.SessionFilter{Code: billing.ID}, 1},
		{interact.SessionFilter{Code: swiss.ID}, 0},
		{interact.SessionFilter{Tag: "VIP"}, 0},
		{interact.SessionFilter{}, 1},
	} {
		got, _, err := w.db.Sessions(ctx, w.adminA, tc.f)
		noErr(t, err)
		if len(got) != tc.want {
			t.Errorf("sessions %+v: %d, want %d", tc.f, len(got), tc.want)
		}
	}
	_, err = w.db.SetSessionLabels(ctx, w.agent, offer.ID, nil, []string{"VIP"})
	noErr(t, err)
	got, _, err := w.db.Sessions(ctx, w.adminA, interact.SessionFilter{Tag: " vip"})
	noErr(t, err)
	if len(got) != 1 || len(got[0].Offers) != 1 || !slices.Equal(got[0].Offers[0].Tags, []string{"VIP"}) || len(got[0].Offers[0].Codes) != 0 {
		t.Fatalf("sessions by tag: %+v", got)
	}
}

func manyTags(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "tag " + strings.Repeat("x", i)
	}
	return out
}

// My Sessions pages with a cursor, newest first, without gaps or repeats.
func TestAgentSessionPaging(t *testing.T) { eachEngine(t, testAgentSessionPaging) }

func testAgentSessionPaging(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	svc := w.service(t, w.adminA, "Support", w.ch, "", false)
	now := time.Now().Truncate(time.Millisecond)
	var want []string
	for i := range 5 {
		at := now.Add(time.Duration(i/2) * time.Second) // pairs share a time
		task := &interact.Task{ID: interact.NewID(), TenantID: w.a.ID, ServiceID: svc.ID, ContactID: "c", Modality: interact.ModalityChat,
			State: interact.TaskWaiting, QueueSeq: int64(i + 1), CreatedAt: at, QueuedAt: at}
		noErr(t, w.db.CreateTask(ctx, task, ""))
		o := &interact.Offer{ID: interact.NewID(), TenantID: w.a.ID, TaskID: task.ID, ServiceID: svc.ID, AgentID: w.agent.UserID,
			Modality: interact.ModalityChat, OfferedAt: at, EndedAt: &at, Outcome: interact.OfferDeclined}
		noErr(t, w.db.SaveRouting(ctx, []*interact.Task{task}, []*interact.Offer{o}))
		want = append(want, o.ID)
	}
	var got []string
	cursor, pages := "", 0
	for {
		page, next, err := w.db.AgentOffers(ctx, w.agent, interact.AgentSessionFilter{Cursor: cursor, Limit: 2})
		noErr(t, err)
		for _, s := range page {
			got = append(got, s.ID)
		}
		pages++
		if cursor = next; cursor == "" {
			break
		}
	}
	if pages != 3 || len(got) != 5 || !sameSet(got, want) {
		t.Fatalf("pages %d, got %v, want %v", pages, got, want)
	}
	_, _, err := w.db.AgentOffers(ctx, w.agent, interact.AgentSessionFilter{Cursor: "bogus"})
	wantCode(t, err, interact.EINVALID)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(b)
}

// BenchmarkMySessionsPage measures one My Sessions page (50 sessions with
// their codes and tags) of an agent with 2,000 labelled sessions, and one
// label change, on SQLite.
func BenchmarkMySessionsPage(b *testing.B) {
	db := openURL(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Bench"}, AdminEmail: "bench@example.test", AdminPassword: pw})
	if err != nil {
		b.Fatal(err)
	}
	a := actorOf(admin)
	svc, err := db.CreateService(ctx, a, interact.Service{Name: "Support", OUID: admin.OUID})
	if err != nil {
		b.Fatal(err)
	}
	code, err := db.CreateCode(ctx, a, admin.OUID, "Billing")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var last string
	for i := range 2000 {
		at := now.Add(time.Duration(i) * time.Millisecond)
		task := &interact.Task{ID: interact.NewID(), TenantID: tn.ID, ServiceID: svc.ID, ContactID: "c", Modality: interact.ModalityChat,
			State: interact.TaskEnded, Outcome: interact.OutcomeHandled, QueueSeq: int64(i + 1), CreatedAt: at, QueuedAt: at, EndedAt: &at}
		if err := db.CreateTask(ctx, task, ""); err != nil {
			b.Fatal(err)
		}
		o := &interact.Offer{ID: interact.NewID(), TenantID: tn.ID, TaskID: task.ID, ServiceID: svc.ID, AgentID: a.UserID,
			Modality: interact.ModalityChat, OfferedAt: at, AnsweredAt: &at, EndedAt: &at, Outcome: interact.OfferAccepted}
		if err := db.SaveRouting(ctx, nil, []*interact.Offer{o}); err != nil {
			b.Fatal(err)
		}
		if _, err := db.SetSessionLabels(ctx, a, o.ID, []string{code.ID}, []string{"vip", "follow up"}); err != nil {
			b.Fatal(err)
		}
		last = o.ID
	}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			if page, _, err := db.AgentOffers(ctx, a, interact.AgentSessionFilter{Limit: 50}); err != nil || len(page) != 50 {
				b.Fatal(len(page), err)
			}
		}
	})
	b.Run("label", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.SetSessionLabels(ctx, a, last, []string{code.ID}, []string{"vip"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
