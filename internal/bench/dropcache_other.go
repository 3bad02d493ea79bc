//go:build !linux

package bench

import "errors"

// dropFile is a no-op where posix_fadvise is not available.
func dropFile(string) {}

// dropDentries is not available: the kernel's caches stay as they are.
func dropDentries() (int, error) { return -1, errors.ErrUnsupported }
