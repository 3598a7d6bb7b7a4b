package cluster

import (
	"context"
	"errors"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// fencedStore is the store as one tenure of the owner's engine sees it: its
// writes carry the lease token (interact.WithFence), so they fail once
// another node took the lease, even if this node has not noticed yet.
// A refused write makes the node step down at once.
type fencedStore struct {
	routing.Store
	token int64
	lost  func()
}

func (s fencedStore) fenced(ctx context.Context) context.Context {
	return interact.WithFence(ctx, leaseName, s.token)
}

func (s fencedStore) check(err error) error {
	if errors.Is(err, interact.ErrFenced) {
		go s.lost()
	}
	return err
}

func (s fencedStore) CreateTask(ctx context.Context, t *interact.Task, resumeHash string) error {
	return s.check(s.Store.CreateTask(s.fenced(ctx), t, resumeHash))
}

func (s fencedStore) SaveRouting(ctx context.Context, tasks []*interact.Task, offers []*interact.Offer) error {
	return s.check(s.Store.SaveRouting(s.fenced(ctx), tasks, offers))
}
