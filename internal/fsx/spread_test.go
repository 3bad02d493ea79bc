//go:build linux

package fsx

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPackChildren(t *testing.T) {
	dir := t.TempDir()
	PackChildren(dir + "/missing") // must never fail, whatever the filesystem
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil {
		t.Skipf("filesystem has no inode flags: %v", err)
	}
	// What lockstep 0.1 left on its store's temporary directory.
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsTopdirFL)); err != nil {
		t.Skipf("filesystem refuses FS_TOPDIR_FL: %v", err)
	}
	set, _ := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if set&fsTopdirFL == 0 {
		t.Skip("filesystem ignores FS_TOPDIR_FL (not ext2/3/4)")
	}
	PackChildren(dir)
	got, _ := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if got != flags {
		t.Errorf("flags %#x after PackChildren, want %#x (as before the flag was set)", got, flags)
	}
	// A second call changes nothing.
	PackChildren(dir)
	if again, _ := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS); again != flags {
		t.Errorf("flags changed from %#x to %#x", flags, again)
	}
}
