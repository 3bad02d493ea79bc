package fsx

import (
	"os"

	"golang.org/x/sys/unix"
)

// fsTopdirFL is FS_TOPDIR_FL from linux/fs.h.
const fsTopdirFL = 0x00020000

// SpreadChildren sets the ext4 "top of directory hierarchy" flag on dir
// (chattr +T): ext4's Orlov allocator then spreads dir's subdirectories
// over the filesystem's block groups instead of packing them next to dir.
// New store entries then rarely land in groups full of recently deleted
// inodes, which ext4 scans past one by one on every allocation. Best
// effort: other filesystems ignore or refuse the flag.
func SpreadChildren(dir string) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	flags, err := unix.IoctlGetUint32(int(f.Fd()), unix.FS_IOC_GETFLAGS)
	if err != nil || flags&fsTopdirFL != 0 {
		return
	}
	_ = unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, int(flags|fsTopdirFL))
}
