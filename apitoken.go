package interact

import "time"

// APIToken describes an API token; the secret itself is shown once, at creation.
type APIToken struct {
	ID         string     `json:"id"`
	UserID     string     `json:"userId"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

// MaxAPITokens bounds the tokens of one user.
const MaxAPITokens = 50
