package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

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
// fails as a whole, each commit is tried alone so that one bad commit
// fails only its own operation.
func (e *Engine) save(batch []*commit) []error {
	errs := make([]error, len(batch))
	tasks, offers := merged(batch)
	if len(tasks)+len(offers) == 0 {
		return errs
	}
	err := e.store.SaveRouting(context.Background(), tasks, offers)
	if err == nil {
		return errs
	}
	if len(batch) == 1 {
		e.log.Error("save routing state", "err", err)
		errs[0] = fmt.Errorf("save routing state: %w", err)
		return errs
	}
	for i, cm := range batch {
		errs[i] = e.save([]*commit{cm})[0]
	}
	return errs
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

// Frame is the JSON shape of every event: {"type":…,"data":…}.
type Frame struct {
	Type string `json:"type"`
	Data any    `json:"data"`
}

func (e *Engine) publish(subject, typ string, data any) {
	b, err := json.Marshal(Frame{Type: typ, Data: data})
	if err != nil {
		e.log.Error("encode event", "type", typ, "err", err)
		return
	}
	if err := e.pub.Publish(subject, b); err != nil {
		e.log.Warn("publish event", "subject", subject, "err", err)
	}
}

// publishPositions publishes task.queue events, encoded by hand: the
// same JSON as publish makes, without reflection, for rounds of thousands.
func (e *Engine) publishPositions(ps []position) {
	var buf []byte
	for _, p := range ps {
		buf = append(buf[:0], `{"type":"task.queue","data":{"estimatedWaitSeconds":`...)
		buf = strconv.AppendInt(buf, int64(p.eta), 10)
		buf = append(buf, `,"position":`...)
		buf = strconv.AppendInt(buf, int64(p.pos), 10)
		buf = append(buf, "}}"...)
		if err := e.pub.Publish(TaskSubject(p.taskID), bytes.Clone(buf)); err != nil {
			e.log.Warn("publish event", "subject", TaskSubject(p.taskID), "err", err)
		}
	}
}

// systemMessage stores a system message in the task's transcript; the
// store announces it like every message (sqlstore.DB.SetMessageHook).
func (e *Engine) systemMessage(m interact.Message) {
	if _, _, err := e.store.AppendMessage(context.Background(), m); err != nil {
		e.log.Error("store system message", "task", m.TaskID, "err", err)
	}
}
