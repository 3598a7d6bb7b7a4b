package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact/cluster"
	"github.com/interact-oss/interact/sqlstore"
)

// storeLease is the lease the nodes contend for.
func storeLease(t testing.TB, db *sqlstore.DB) cluster.Leaser {
	return &memLease{}
}

type memLease struct {
	mu     sync.Mutex
	holder string
	until  time.Time
	token  int64
}

func (l *memLease) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.holder != holder && now.Before(l.until) {
		return l.token, false, nil
	}
	if l.holder != holder {
		l.token++
		l.holder = holder
	}
	l.until = now.Add(ttl)
	return l.token, true, nil
}

func (l *memLease) ReleaseLease(ctx context.Context, name, holder string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder == holder {
		l.until = time.Time{}
	}
	return nil
}
