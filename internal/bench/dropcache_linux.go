//go:build linux

package bench

import "golang.org/x/sys/unix"

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
