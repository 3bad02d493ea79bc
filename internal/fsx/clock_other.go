//go:build !linux

package fsx

import "time"

// FileClock returns the time as the filesystem stamps file changes (see
// clock_linux.go); elsewhere that is the ordinary clock.
func FileClock() time.Time { return time.Now() }
