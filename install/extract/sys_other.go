//go:build !linux

package extract

import "golang.org/x/sys/unix"

func sysOpenat(dfd int, p string, flags int, perm uint32) (int, error) {
	return unix.Openat(dfd, p, flags, perm)
}

func sysWrite(fd int, b []byte) (int, error) { return unix.Write(fd, b) }

func sysClose(fd int) error { return unix.Close(fd) }
