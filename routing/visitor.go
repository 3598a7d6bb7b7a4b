package routing

// VisitorConnected records an open visitor connection to a task.
func (e *Engine) VisitorConnected(taskID string) {
	e.lock()
	defer e.unlock()
	if t, ok := e.tasks[taskID]; ok {
		t.visitors++
		t.seen = true
		if t.visitorTimer != nil {
			t.visitorTimer.Stop()
			t.visitorTimer = nil
		}
	}
}

// VisitorDisconnected records a closed visitor connection. A task with no
// visitor connection for VisitorGrace ends as if the visitor left; one
// whose visitor never connected ends after FirstConnectGrace.
func (e *Engine) VisitorDisconnected(taskID string) {
	e.lock()
	defer e.unlock()
	if t, ok := e.tasks[taskID]; ok && t.visitors > 0 {
		t.visitors--
		if t.visitors == 0 {
			e.visitorAway(t)
		}
	}
}

func (e *Engine) visitorAway(t *task) {
	if t.visitorTimer != nil {
		t.visitorTimer.Stop()
	}
	id := t.ID
	grace := e.cfg.VisitorGrace
	if !t.seen {
		grace = e.cfg.FirstConnectGrace
	}
	t.visitorTimer = e.clock.AfterFunc(grace, func() {
		e.fire(func(c *change) error {
			if t, ok := e.tasks[id]; ok && t.visitors == 0 {
				t.visitorTimer = nil
				e.finishTask(t, c)
			}
			return nil
		})
	})
}
