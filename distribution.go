package interact

// Distribution types.
const (
	DistributeBroadcast = "broadcast"
	DistributeDirect    = "direct"
	DistributePickup    = "pickup"
)

// Overflow actions, taken on max wait or when no agent is selectable.
const (
	OverflowMessage  = "message"  // a system message, then leave-a-message
	OverflowTransfer = "transfer" // transfer to another service
)

// Distribution is how a service's queue offers tasks to agents.
type Distribution struct {
	Type                string `json:"type"`
	RingTimeoutSeconds  int    `json:"ringTimeoutSeconds"`
	PersistentRONA      bool   `json:"persistentRona"`
	RONAResetSeconds    int    `json:"ronaResetSeconds"`
	ACWEnabled          bool   `json:"acwEnabled"`
	ACWSeconds          int    `json:"acwSeconds"`
	ACWExtensionSeconds int    `json:"acwExtensionSeconds"`
	DefaultPriority     int    `json:"defaultPriority"`
	// StrictPriority puts this service's tasks before every non-strict
	// task, whatever their priority (for agents serving several services).
	StrictPriority    bool   `json:"strictPriority"`
	MaxWaitSeconds    int    `json:"maxWaitSeconds"` // 0: no limit
	OverflowAction    string `json:"overflowAction"`
	OverflowServiceID string `json:"overflowServiceId,omitempty"`
	OverflowMessage   string `json:"overflowMessage,omitempty"`
}

// Validate fills defaults for zero values and checks ranges.
func (d *Distribution) Validate() error {
	if d.Type == "" {
		d.Type = DistributeDirect
	}
	if d.RingTimeoutSeconds == 0 {
		d.RingTimeoutSeconds = 30
	}
	if d.RONAResetSeconds == 0 {
		d.RONAResetSeconds = 600
	}
	if d.ACWSeconds == 0 {
		d.ACWSeconds = 20
	}
	if d.ACWExtensionSeconds == 0 {
		d.ACWExtensionSeconds = 30
	}
	if d.OverflowAction == "" {
		d.OverflowAction = OverflowMessage
	}
	switch d.Type {
	case DistributeBroadcast, DistributeDirect, DistributePickup:
	default:
		return Errorf(EINVALID, "distribution.type must be broadcast, direct or pickup (got %q).", d.Type)
	}
	checks := []struct {
		name     string
		v, lo, h int
	}{
		{"ringTimeoutSeconds", d.RingTimeoutSeconds, 5, 300},
		{"ronaResetSeconds", d.RONAResetSeconds, 10, 8 * 3600},
		{"acwSeconds", d.ACWSeconds, 1, 3600},
		{"acwExtensionSeconds", d.ACWExtensionSeconds, 1, 3600},
		{"defaultPriority", d.DefaultPriority, 0, 10},
		{"maxWaitSeconds", d.MaxWaitSeconds, 0, 24 * 3600},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.h {
			return Errorf(EINVALID, "distribution.%s must be between %d and %d (got %d).", c.name, c.lo, c.h, c.v)
		}
	}
	switch d.OverflowAction {
	case OverflowMessage:
		d.OverflowServiceID = ""
	case OverflowTransfer:
		if d.OverflowServiceID == "" {
			return Errorf(EINVALID, "distribution.overflowServiceId is required when overflowAction is transfer.")
		}
	default:
		return Errorf(EINVALID, "distribution.overflowAction must be message or transfer (got %q).", d.OverflowAction)
	}
	if len([]rune(d.OverflowMessage)) > 1000 {
		return Errorf(EINVALID, "distribution.overflowMessage must be at most 1000 characters.")
	}
	return nil
}
