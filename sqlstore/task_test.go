package sqlstore_test

import (
	"database/sql"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// TestOutcomeWriteOnce races two nodes ending the same task differently:
// one outcome is recorded, the other save fails with a conflict and
// changes nothing. Saving the ended task again (e.g. its left message) works.
func TestOutcomeWriteOnce(t *testing.T) { eachEngine(t, testOutcomeWriteOnce) }

func testOutcomeWriteOnce(t *testing.T) {
	t.Parallel()
	url := storeURL(t)
	nodes := []*sqlstore.DB{openURL(t, url), openURL(t, url)}
	ctx := t.Context()
	for range 5 {
		id := newTasks(t, nodes[0], 1)[0]
		outcomes := []string{interact.OutcomeAbandoned, interact.OutcomeQueueTimeout}
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, db := range nodes {
			wg.Go(func() {
				task, err := db.Task(ctx, id)
				if err != nil {
					errs[i] = err
					return
				}
				ended := time.Now().Add(time.Duration(i) * time.Second)
				task.State, task.Outcome, task.EndedAt = interact.TaskEnded, outcomes[i], &ended
				offer := &interact.Offer{ID: interact.NewID(), TenantID: task.TenantID, TaskID: id, AgentID: "agent-" + outcomes[i],
					Modality: interact.ModalityChat, OfferedAt: ended, EndedAt: &ended, Outcome: interact.OfferCancelled}
				errs[i] = db.SaveRouting(ctx, []*interact.Task{task}, []*interact.Offer{offer})
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch interact.ErrorCode(err) {
			case "":
				winner = i
			case interact.ECONFLICT:
			default:
				t.Fatalf("save: %v", err)
			}
		}
		if winner < 0 || errs[1-winner] == nil {
			t.Fatalf("saves: %v, want one success and one conflict", errs)
		}
		task, err := nodes[0].Task(ctx, id)
		noErr(t, err)
		if task.Outcome != outcomes[winner] {
			t.Errorf("outcome %q, want the winner's %q", task.Outcome, outcomes[winner])
		}
		offers, err := nodes[0].TaskOffers(ctx, id)
		noErr(t, err)
		if len(offers) != 1 || offers[0].AgentID != "agent-"+outcomes[winner] {
			t.Errorf("offers %+v, want only the winner's", offers)
		}

		task.LeftMessage = "Please call me back."
		noErr(t, nodes[1].SaveRouting(ctx, []*interact.Task{task}, nil))
		again, err := nodes[0].Task(ctx, id)
		noErr(t, err)
		if again.LeftMessage != task.LeftMessage || again.Outcome != outcomes[winner] {
			t.Errorf("re-saved task: left message %q outcome %q", again.LeftMessage, again.Outcome)
		}
	}
	err := nodes[0].SaveRouting(ctx, []*interact.Task{{ID: "no-such-task", Visitor: interact.Visitor{}}}, nil)
	wantCode(t, err, interact.ENOTFOUND)
}

// TestConcurrentOpen starts several nodes at once on an empty database:
// the migrations run once, and every node opens.
func TestConcurrentOpen(t *testing.T) { eachEngine(t, testConcurrentOpen) }

func testConcurrentOpen(t *testing.T) {
	t.Parallel()
	url := storeURL(t)
	if engineOf(t) == enginePostgres {
		url = freshPostgresDatabase(t)
	}
	var wg sync.WaitGroup
	nodes := make([]*sqlstore.DB, 4)
	errs := make([]error, len(nodes))
	for i := range nodes {
		wg.Go(func() { nodes[i], errs[i] = sqlstore.Open(t.Context(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		noErr(t, err)
		defer nodes[i].Close()
	}
	for _, db := range nodes {
		newTasks(t, db, 1)
	}
}

// freshPostgresDatabase creates an empty database next to the test
// database, dropped when the test ends, and returns its URL.
func freshPostgresDatabase(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", postgresURL())
	noErr(t, err)
	t.Cleanup(func() { admin.Close() })
	name := "interact_test_" + strings.ToLower(interact.NewID()[18:])
	_, err = admin.ExecContext(t.Context(), `CREATE DATABASE `+name)
	noErr(t, err)
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database: %v", err)
		}
	})
	u, err := url.Parse(postgresURL())
	noErr(t, err)
	u.Path = "/" + name
	return u.String()
}
