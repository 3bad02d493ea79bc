//go:build linux

package bench

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// dropFile asks the kernel to drop the file's clean pages from the page
// cache (dirty ones stay: settle syncs first).
func dropFile(p string) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	_ = unix.Fadvise(fd, 0, 0, unix.FADV_DONTNEED)
	unix.Close(fd)
}

// dropDentries syncs and asks the kernel to free its dentry and inode
// caches (vm.drop_caches=2; root only). It returns how many dentries were
// cached before.
func dropDentries() (int, error) {
	before := -1
	if b, err := os.ReadFile("/proc/sys/fs/dentry-state"); err == nil {
		before = parseDentryState(string(b))
	}
	unix.Sync()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("2"), 0); err != nil {
		return before, err
	}
	return before, nil
}

// parseDentryState returns nr_dentry, the first field of
// /proc/sys/fs/dentry-state, or -1.
func parseDentryState(s string) int {
	f := strings.Fields(s)
	if len(f) == 0 {
		return -1
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return -1
	}
	return n
}
