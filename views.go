package interact

import "time"

// TaskView is a task's routing state.
type TaskView struct {
	Task
	Position             int `json:"position,omitempty"`
	EstimatedWaitSeconds int `json:"estimatedWaitSeconds,omitempty"`
	// Call is the media of the task's call now: audio or video, or ""
	// (an audio or video task is a call from its start; a chat may
	// escalate).
	Call Modality `json:"call,omitempty"`
}

// QueueView is a service's queue as supervisors and pickup lists see it.
type QueueView struct {
	ServiceID string        `json:"serviceId"`
	Waiting   []WaitingTask `json:"waiting"`
	Agents    []AgentView   `json:"agents"`
}

// WaitingTask is one waiting task in a QueueView.
type WaitingTask struct {
	TaskSummary
	Priority int    `json:"priority"`
	Strict   bool   `json:"strict"`
	Ringing  int    `json:"ringing"`
	Position int    `json:"position"`
	WaitMS   int64  `json:"waitMs"`
	Target   string `json:"targetAgentId,omitempty"`
}

// TaskSummary is what an agent sees of a task on an offer or assignment.
type TaskSummary struct {
	ID          string    `json:"id"`
	ServiceID   string    `json:"serviceId"`
	ServiceName string    `json:"serviceName"`
	Modality    Modality  `json:"modality"`
	Visitor     Visitor   `json:"visitor"`
	Origin      string    `json:"origin"`
	QueuedAt    time.Time `json:"queuedAt"`
	Transfers   int       `json:"transfers"`
	Direct      bool      `json:"direct"`
}
