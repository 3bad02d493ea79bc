//go:build !linux

package fsx

import "time"

// FileTick returns a time that splits file changes in two (see
// clock_linux.go); elsewhere the filesystem's clock is the ordinary one.
func FileTick() time.Time { return time.Now() }
