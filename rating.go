package interact

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Error codes of ratings.
const (
	ERATINGEXISTS   = "rating_exists"   // the task was already rated differently
	ERATINGDISABLED = "rating_disabled" // the contact does not ask for ratings
	ETASKNOTENDED   = "task_not_ended"  // a rating before the conversation ended
	ENOTRATEABLE    = "not_rateable"    // an ended task no agent ever took part in
)

// Bounds of a rating.
const (
	MinStars            = 1
	MaxStars            = 5
	MaxRatingCommentLen = 1000 // characters
)

// Rating is a visitor's verdict on an ended conversation (CSAT): 1 to 5
// stars and an optional comment. A task holds at most one.
type Rating struct {
	Stars   int       `json:"stars"`
	Comment string    `json:"comment,omitempty"`
	At      time.Time `json:"at"`
}

// Validate checks the stars and normalises the comment: trimmed, line
// breaks as LF, control characters other than tab and line feed refused.
func (r *Rating) Validate() error {
	if r.Stars < MinStars || r.Stars > MaxStars {
		return Errorf(EINVALID, "stars must be %d to %d.", MinStars, MaxStars)
	}
	if !utf8.ValidString(r.Comment) {
		return Errorf(EINVALID, "The comment is not valid UTF-8.")
	}
	r.Comment = strings.TrimSpace(normalizeLines(r.Comment))
	if hasControl(r.Comment, true) {
		return Errorf(EINVALID, "The comment must not contain control characters other than tab and line breaks.")
	}
	if utf8.RuneCountInString(r.Comment) > MaxRatingCommentLen {
		return Errorf(EINVALID, "The comment may be at most %d characters.", MaxRatingCommentLen)
	}
	return nil
}

// Same reports whether r and o say the same (their times aside): a resend
// of a rating is accepted again, a different one is not.
func (r *Rating) Same(o *Rating) bool {
	return r != nil && o != nil && r.Stars == o.Stars && r.Comment == o.Comment
}

// Rateable says whether task t may be rated now: once it has ended, and
// only when an agent took part in it.
func (t *Task) Rateable() error {
	if t.State != TaskEnded {
		return Errorf(ETASKNOTENDED, "The conversation can be rated once it has ended.")
	}
	if t.ConnectedAt == nil {
		return Errorf(ENOTRATEABLE, "This conversation had no agent, so there is nothing to rate.")
	}
	return nil
}

// Glyphs draws the stars as text: filled ones, then empty ones (★★★★☆).
func (r *Rating) Glyphs() string {
	return strings.Repeat("★", r.Stars) + strings.Repeat("☆", MaxStars-r.Stars)
}
