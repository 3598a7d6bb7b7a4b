package sqlstore_test

import (
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/sqlstore"
)

func TestLease(t *testing.T) { eachEngine(t, testLease) }

func testLease(t *testing.T) {
	t.Parallel()
	url := storeURL(t)
	a, b := openURL(t, url), openURL(t, url) // two nodes
	ctx := t.Context()
	name := "routing-" + interact.NewID()

	holder, token, _, err := a.Lease(ctx, name)
	noErr(t, err)
	if holder != "" || token != 0 {
		t.Fatalf("fresh lease: holder %q token %d, want none", holder, token)
	}

	acquire := func(db *sqlstore.DB, who string, ttl time.Duration, wantOK bool, wantToken int64) {
		t.Helper()
		token, ok, err := db.AcquireLease(ctx, name, who, ttl)
		noErr(t, err)
		if ok != wantOK || token != wantToken {
			t.Fatalf("%s acquires: token %d ok %v, want %d %v", who, token, ok, wantToken, wantOK)
		}
	}
	wantHolder := func(want string, wantToken int64) {
		t.Helper()
		holder, token, expires, err := b.Lease(ctx, name)
		noErr(t, err)
		if holder != want || token != wantToken || (want != "" && expires.IsZero()) {
			t.Fatalf("lease: holder %q token %d expires %v, want %q %d", holder, token, expires, want, wantToken)
		}
	}

	acquire(a, "node-a", time.Hour, true, 1)
	wantHolder("node-a", 1)
	acquire(b, "node-b", time.Hour, false, 0) // exclusive
	acquire(a, "node-a", time.Hour, true, 1)  // renewal keeps the token
	wantHolder("node-a", 1)

	noErr(t, b.ReleaseLease(ctx, name, "node-b")) // not b's: nothing happens
	wantHolder("node-a", 1)
	noErr(t, a.ReleaseLease(ctx, name, "node-a"))
	wantHolder("", 1)
	acquire(b, "node-b", time.Hour, true, 2) // a new holder, a new token
	acquire(a, "node-a", time.Hour, false, 0)

	// Expiry: b renews for a moment only; once it has passed, a takes over.
	acquire(b, "node-b", 50*time.Millisecond, true, 2)
	var takeover int64
	eventually.True(t, "b's lease to expire and a to take over", func() bool {
		token, ok, err := a.AcquireLease(ctx, name, "node-a", time.Hour)
		noErr(t, err)
		takeover = token
		return ok
	})
	if takeover != 3 {
		t.Fatalf("takeover token %d, want 3", takeover)
	}
	wantHolder("node-a", 3)
	acquire(b, "node-b", time.Hour, false, 0)

	// The same holder after its own lease expired starts a new tenure.
	acquire(a, "node-a", 20*time.Millisecond, true, 3)
	eventually.True(t, "a's own lease to expire", func() bool {
		holder, _, _, err := a.Lease(ctx, name)
		noErr(t, err)
		return holder == ""
	})
	acquire(a, "node-a", time.Hour, true, 4)

	for _, bad := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "node-a", time.Second}, {name, "", time.Second}, {name, "node-a", 0}} {
		_, _, err := a.AcquireLease(ctx, bad.name, bad.holder, bad.ttl)
		wantCode(t, err, interact.EINVALID)
	}
	wantHolder("node-a", 4)
}

// TestLeaseRace lets many contenders on two stores grab a free lease at
// once: exactly one wins.
func TestLeaseRace(t *testing.T) { eachEngine(t, testLeaseRace) }

func testLeaseRace(t *testing.T) {
	t.Parallel()
	url := storeURL(t)
	nodes := []*sqlstore.DB{openURL(t, url), openURL(t, url)}
	name := "race-" + interact.NewID()
	var mu sync.Mutex
	var winners []string
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			who := "node-" + string(rune('a'+i))
			_, ok, err := nodes[i%2].AcquireLease(t.Context(), name, who, time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				winners = append(winners, who)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners %v, want exactly one", winners)
	}
	holder, token, _, err := nodes[0].Lease(t.Context(), name)
	noErr(t, err)
	if holder != winners[0] || token != 1 {
		t.Errorf("lease: holder %q token %d, want %q 1", holder, token, winners[0])
	}
}
