//go:build unix

package manifest

import (
	"os"
	"syscall"
)

// readEntry maps an entry file read-only. A loaded packument views its
// entry's bytes, so mapping saves zeroing a buffer and copying the file
// into it (most of a warm preload's time). The mapping is never removed:
// the packument lives as long as the process, and entries are replaced by
// rename, never rewritten in place, so the mapped bytes never change.
// Small files are read instead.
func readEntry(f *os.File, size int64) ([]byte, error) {
	if size < 64<<10 || size > 1<<31 {
		return readAll(f, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return readAll(f, size)
	}
	return data, nil
}
