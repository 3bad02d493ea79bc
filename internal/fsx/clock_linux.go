package fsx

import (
	"time"

	"golang.org/x/sys/unix"
)

// FileTick returns a time that splits file changes in two: a file changed
// before the call has an earlier mtime, one changed after it has no
// earlier mtime. Linux stamps changes with its coarse clock, a tick (1-10
// ms) behind time.Now, so FileTick waits for that clock to move on once
// and returns its new value. time.Now would put a change made right after
// it before it; the coarse clock's current value would put a change made
// earlier in the same tick after it.
func FileTick() time.Time {
	start, ok := coarseNow()
	if !ok {
		return time.Now()
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for {
		now, ok := coarseNow()
		if !ok || now.After(start) {
			return now
		}
		if time.Now().After(deadline) {
			return time.Now() // a coarse clock that stands still: not Linux's
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func coarseNow() (time.Time, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts); err != nil {
		return time.Time{}, false
	}
	return time.Unix(ts.Unix()), true
}
