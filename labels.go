package interact

import "strings"

// Code is a predefined label agents attach to their sessions for
// reporting. It belongs to an OU; a service offers the codes of its OU and
// of every OU above it (nimbus §10).
type Code struct {
	ID       string `json:"id"`
	TenantID string `json:"tenantId"`
	OUID     string `json:"ouId"`
	OUName   string `json:"ouName,omitempty"`
	Name     string `json:"name"`
}

// MaxCodesPerOU bounds the codes on one OU.
const MaxCodesPerOU = 200

const MaxTagLen = 40

const MaxSessionTags = 20

const MaxSessionCodes = 20

// Labels are the codes and free tags on one user session.
type Labels struct {
	CodeIDs []string `json:"codeIds"`
	Codes   []string `json:"codes"` // the codes' names, in CodeIDs' order
	Tags    []string `json:"tags"`
}

// CleanTags trims tags, drops empty ones and duplicates (ignoring case;
// the first spelling wins) and checks their length and number.
func CleanTags(tags []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.Join(strings.Fields(t), " ")
		if t == "" {
			continue
		}
		if len([]rune(t)) > MaxTagLen {
			return nil, Errorf(EINVALID, "A tag must be at most %d characters: %q.", MaxTagLen, t)
		}
		if k := strings.ToLower(t); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	if len(out) > MaxSessionTags {
		return nil, Errorf(EINVALID, "A session holds at most %d tags.", MaxSessionTags)
	}
	return out, nil
}
