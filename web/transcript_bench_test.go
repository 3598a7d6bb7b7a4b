package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
	"github.com/interact-oss/interact/web"
)

// BenchmarkTranscriptEndpoint measures GET /api/v1/sessions/{id}/transcript
// of a 2,000-message session (SQLite, over loopback HTTP, authenticated
// with an API token), in each format.
func BenchmarkTranscriptEndpoint(b *testing.B) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	srv := httptest.NewServer(nil)
	defer srv.Close()
	api := web.NewServer(web.Config{PublicURL: srv.URL}, db)
	defer api.Close()
	srv.Config.Handler = api

	tn, u, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Bench"}, AdminEmail: "bench@example.test", AdminPassword: "bench password",
	})
	if err != nil {
		b.Fatal(err)
	}
	admin := interact.Actor{UserID: u.ID, TenantID: tn.ID, Email: u.Email, Roles: u.Roles}
	svc, err := db.CreateService(ctx, admin, interact.Service{Name: "Bench desk", OUID: u.OUID})
	if err != nil {
		b.Fatal(err)
	}
	_, token, err := db.CreateAPIToken(ctx, admin, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	task := &interact.Task{ID: interact.NewID(), TenantID: tn.ID, ServiceID: svc.ID, ContactID: "bench", Modality: interact.ModalityChat,
		State: interact.TaskConnected, AgentID: u.ID, QueueSeq: 1, CreatedAt: now, QueuedAt: now, ConnectedAt: &now,
		Visitor: interact.Visitor{Name: "Vera Visitor"}}
	if err := db.CreateTask(ctx, task, ""); err != nil {
		b.Fatal(err)
	}
	const n = 2000
	for i := range n {
		m := interact.Message{TaskID: task.ID, ClientID: fmt.Sprint("m", i), From: interact.FromVisitor,
			Text: fmt.Sprintf("Message %d: hello, I have a question about my order and its delivery.", i), At: now}
		switch {
		case i%100 == 50:
			m.From, m.Text, m.Event = interact.FromSystem, "", &interact.TaskEvent{Type: interact.EventCallStarted, CallID: fmt.Sprint("c", i), Modality: interact.ModalityVideo, By: u.ID}
		case i%2 == 1:
			m.From, m.AgentID, m.Name = interact.FromAgent, u.ID, "Agent"
		}
		if _, _, err := db.AppendMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	task.State, task.Outcome, task.EndedAt = interact.TaskEnded, interact.OutcomeHandled, &now
	if err := db.SaveRouting(ctx, []*interact.Task{task}, nil); err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"json", "txt", "html"} {
		b.Run(format, func(b *testing.B) {
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/sessions/"+task.ID+"/transcript?format="+format, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			var size int64
			for b.Loop() {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				size, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			b.ReportMetric(float64(size)/1024, "KiB/op")
		})
	}
}
