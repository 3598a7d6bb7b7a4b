package interact

import (
	"regexp"
	"strings"
)

// Agent display-name modes: how the agent's name shows to visitors.
const (
	AgentNameHidden = "hidden"
	AgentNameReal   = "real"
	AgentNameCustom = "custom"
)

// SystemMessages are a service's texts sent to visitors at task events.
// Texts may use placeholders: $(Customer.Name), $(Customer.FirstName),
// $(Customer.Email), $(Customer.<field>) for pre-chat fields,
// $(Agent.Name), $(Agent.FirstName), $(Service.Name). An empty text sends
// nothing.
type SystemMessages struct {
	Welcome  string `json:"welcome"`
	Queued   string `json:"queued"`
	Accepted string `json:"accepted"`
	Ended    string `json:"ended"`
	// AgentNameMode is hidden, real or custom (AgentNameTemplate, e.g.
	// "$(Agent.FirstName) from Support").
	AgentNameMode     string `json:"agentNameMode"`
	AgentNameTemplate string `json:"agentNameTemplate,omitempty"`
}

// DefaultSystemMessages are what a new service sends.
func DefaultSystemMessages() SystemMessages {
	return SystemMessages{
		Welcome:       "Hello $(Customer.FirstName), thanks for contacting $(Service.Name).",
		Queued:        "All our agents are busy; you are in the queue and will be connected shortly.",
		Accepted:      "$(Agent.Name) has joined the chat.",
		Ended:         "The chat has ended. Thank you!",
		AgentNameMode: AgentNameReal,
	}
}

// Validate fills defaults and bounds the texts.
func (m *SystemMessages) Validate() error {
	if m.AgentNameMode == "" {
		m.AgentNameMode = AgentNameReal
	}
	switch m.AgentNameMode {
	case AgentNameHidden, AgentNameReal:
	case AgentNameCustom:
		if strings.TrimSpace(m.AgentNameTemplate) == "" {
			return Errorf(EINVALID, "messages.agentNameTemplate is required when agentNameMode is custom.")
		}
	default:
		return Errorf(EINVALID, "messages.agentNameMode must be hidden, real or custom (got %q).", m.AgentNameMode)
	}
	for name, s := range map[string]string{"welcome": m.Welcome, "queued": m.Queued, "accepted": m.Accepted, "ended": m.Ended, "agentNameTemplate": m.AgentNameTemplate} {
		if len([]rune(s)) > 1000 {
			return Errorf(EINVALID, "messages.%s must be at most 1000 characters.", name)
		}
	}
	return nil
}

// MessageParams are the values placeholders expand to.
type MessageParams struct {
	Visitor     Visitor
	AgentName   string
	ServiceName string
}

var placeholder = regexp.MustCompile(`\$\((Customer|Agent|Service)\.([A-Za-z0-9_-]+)\)`)

// Expand replaces the placeholders of text. Unknown placeholders become
// empty; the result is plain text (UIs render it as text).
func Expand(text string, p MessageParams) string {
	return placeholder.ReplaceAllStringFunc(text, func(s string) string {
		m := placeholder.FindStringSubmatch(s)
		switch m[1] + "." + m[2] {
		case "Customer.Name":
			return p.Visitor.Name
		case "Customer.FirstName":
			return p.Visitor.FirstName()
		case "Customer.Email":
			return p.Visitor.Email
		case "Agent.Name":
			return p.AgentName
		case "Agent.FirstName":
			f, _, _ := strings.Cut(p.AgentName, " ")
			return f
		case "Service.Name":
			return p.ServiceName
		}
		if m[1] == "Customer" {
			return p.Visitor.Fields[m[2]]
		}
		return ""
	})
}

// AgentDisplayName is the agent's name as visitors see it.
func (m *SystemMessages) AgentDisplayName(realName string, p MessageParams) string {
	switch m.AgentNameMode {
	case AgentNameHidden:
		return ""
	case AgentNameCustom:
		p.AgentName = realName
		return strings.TrimSpace(Expand(m.AgentNameTemplate, p))
	}
	return realName
}
