package routing

import "time"

// ObserveLock makes every engine operation report how long it held the
// engine lock; nil stops it.
func ObserveLock(f func(time.Duration)) {
	if f == nil {
		lockObserver.Store(nil)
		return
	}
	lockObserver.Store(&f)
}
