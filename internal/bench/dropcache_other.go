//go:build !linux

package bench

// dropFile is a no-op where posix_fadvise is not available.
func dropFile(string) {}
