//go:build !linux

package fsx

// PackChildren does nothing where there is no ext4 (see spread_linux.go).
func PackChildren(string) {}
