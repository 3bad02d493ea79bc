package fsx

import (
	"time"

	"golang.org/x/sys/unix"
)

// FileClock returns the time as Linux stamps file changes: the coarse
// real-time clock, which lags time.Now by up to a scheduler tick (1-10 ms).
// A file written right after time.Now was read can carry an mtime before
// it; compared with FileClock's time, it cannot.
func FileClock() time.Time {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_REALTIME_COARSE, &ts); err != nil {
		return time.Now()
	}
	return time.Unix(ts.Unix())
}
