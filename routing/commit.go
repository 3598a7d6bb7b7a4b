package routing

import (
	"context"
	"fmt"

	"github.com/interact-oss/interact"
)

// commit is what one operation leaves to the committer: the state to save,
// then system messages to store, then events to publish.
type commit struct {
	tasks     []interact.Task
	offers    []interact.Offer
	sys       []interact.Message
	events    []event
	positions []position
	epoch     int64      // the state it was decided on (Engine.epoch)
	done      chan error // receives the outcome once; buffered
}

// submit queues cm behind the commits made before it and starts the
// committer when none runs. Called with e.mu held, so commits keep the
// order of the changes.
func (e *Engine) submit(cm *commit) {
	e.cmu.Lock()
	e.pending = append(e.pending, cm)
	start := !e.committing
	e.committing = true
	e.cmu.Unlock()
	if start {
		e.committer.Add(1)
		go e.commitLoop()
	}
}

// commitLoop saves and publishes the queued commits in order. It takes all
// that are waiting and saves their state in one transaction (a later
// snapshot of a task or offer replaces an earlier one), then stores each
// commit's system messages and publishes its events. It runs only while
// there is work and holds no engine lock, so store latency does not stall
// routing decisions.
func (e *Engine) commitLoop() {
	defer e.committer.Done()
	for {
		e.cmu.Lock()
		batch := e.pending
		e.pending = nil
		if len(batch) == 0 {
			e.committing = false
			e.cmu.Unlock()
			return
		}
		e.cmu.Unlock()
		errs := e.save(batch)
		for i, cm := range batch {
			if errs[i] == nil {
				for _, m := range cm.sys {
					e.systemMessage(m)
				}
				for _, ev := range cm.events {
					e.publish(ev.subject, ev.typ, ev.data)
				}
				e.publishPositions(cm.positions)
			}
			cm.done <- errs[i]
		}
	}
}

// save writes the routing state of a batch of commits. When the batch
// fails as a whole, each commit is tried alone, in order. The first one
// that fails leaves memory ahead of the store: the engine rebuilds its
// state from the store (rebuild.go), and the commits decided on the same
// state after it are dropped unsaved, since they may build on the change
// the store never got. A dropped or failed commit publishes nothing.
func (e *Engine) save(batch []*commit) []error {
	errs := make([]error, len(batch))
	var live []*commit
	for i, cm := range batch {
		if cm.epoch <= e.failedEpoch {
			errs[i] = errRebuilding
		} else {
			live = append(live, cm)
		}
	}
	if len(live) == 0 || (len(live) > 1 && e.write(live) == nil) {
		return errs
	}
	for i, cm := range batch {
		if errs[i] != nil {
			continue
		}
		if cm.epoch <= e.failedEpoch {
			errs[i] = errRebuilding
		} else if err := e.write([]*commit{cm}); err != nil {
			errs[i] = fmt.Errorf("save routing state: %w", err)
			e.saveFailed(cm.epoch, err)
		}
	}
	return errs
}

// write saves the merged state of commits in one transaction.
func (e *Engine) write(batch []*commit) error {
	tasks, offers := merged(batch)
	if len(tasks)+len(offers) == 0 {
		return nil
	}
	if err := e.store.SaveRouting(context.Background(), tasks, offers); err != nil {
		return err
	}
	e.failures.Store(0)
	return nil
}

// merged returns the latest snapshot of every task and offer in batch.
func merged(batch []*commit) ([]*interact.Task, []*interact.Offer) {
	if len(batch) == 1 {
		cm := batch[0]
		tasks := make([]*interact.Task, len(cm.tasks))
		for i := range cm.tasks {
			tasks[i] = &cm.tasks[i]
		}
		offers := make([]*interact.Offer, len(cm.offers))
		for i := range cm.offers {
			offers[i] = &cm.offers[i]
		}
		return tasks, offers
	}
	taskAt, offerAt := map[string]int{}, map[string]int{}
	var tasks []*interact.Task
	var offers []*interact.Offer
	for _, cm := range batch {
		for i := range cm.tasks {
			t := &cm.tasks[i]
			if j, ok := taskAt[t.ID]; ok {
				tasks[j] = t
			} else {
				taskAt[t.ID] = len(tasks)
				tasks = append(tasks, t)
			}
		}
		for i := range cm.offers {
			o := &cm.offers[i]
			if j, ok := offerAt[o.ID]; ok {
				offers[j] = o
			} else {
				offerAt[o.ID] = len(offers)
				offers = append(offers, o)
			}
		}
	}
	return tasks, offers
}

func (e *Engine) publish(subject, typ string, data any) {
	b, err := interact.EncodeFrame(typ, "", data)
	if err != nil {
		e.log.Error("encode event", "type", typ, "err", err)
		return
	}
	if err := e.pub.Publish(subject, b); err != nil {
		e.log.Warn("publish event", "subject", subject, "err", err)
	}
}

// publishPositions publishes task.queue events (interact.QueuePositionFrame).
func (e *Engine) publishPositions(ps []position) {
	for _, p := range ps {
		if err := e.pub.Publish(interact.TaskSubject(p.taskID), interact.QueuePositionFrame(p.pos, p.eta)); err != nil {
			e.log.Warn("publish event", "subject", interact.TaskSubject(p.taskID), "err", err)
		}
	}
}

// systemMessage stores a system message in the task's transcript, which
// publishes it.
func (e *Engine) systemMessage(m interact.Message) {
	if _, _, err := e.cfg.Transcript.Append(context.Background(), m); err != nil {
		e.log.Error("store system message", "task", m.TaskID, "err", err)
	}
}
