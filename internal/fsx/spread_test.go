//go:build linux

package fsx

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSpreadChildren(t *testing.T) {
	dir := t.TempDir()
	SpreadChildren(dir) // must never fail, whatever the filesystem
	SpreadChildren(dir + "/missing")
	if runtime.GOOS != "linux" {
		return
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Skipf("filesystem has no inode flags: %v", err)
	}
	if flags&fsTopdirFL == 0 {
		t.Skip("filesystem ignores FS_TOPDIR_FL (not ext2/3/4)")
	}
	// A second call keeps the flag and leaves the others alone.
	SpreadChildren(dir)
	again, _ := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if again != flags {
		t.Errorf("flags changed from %#x to %#x", flags, again)
	}
}
