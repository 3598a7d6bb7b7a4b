package interact

import "context"

// Fencing: a lease holder that lost its lease without noticing (a paused
// process, a long GC) must not write after the next holder took over. A
// context made by WithFence carries the lease's name and the token the
// holder got; a store refuses the writes made with it once the lease's
// token changed, with ErrFenced.

type fenceKey struct{}

type fence struct {
	lease string
	token int64
}

// ErrFenced is the code-bearing error of a write refused because its lease
// changed hands (or was never held with that token).
var ErrFenced = Errorf(ECONFLICT, "The lease was taken over: this node may no longer write for it.")

// WithFence returns a context whose write transactions run only while the
// lease's token is still token.
func WithFence(ctx context.Context, lease string, token int64) context.Context {
	return context.WithValue(ctx, fenceKey{}, fence{lease, token})
}

// FenceOf returns the lease and token that WithFence put in ctx.
func FenceOf(ctx context.Context) (lease string, token int64, ok bool) {
	f, ok := ctx.Value(fenceKey{}).(fence)
	return f.lease, f.token, ok
}
