package store

import "golang.org/x/sys/unix"

// renameNoReplace renames a directory into place, failing with EEXIST if the
// target exists. It falls back to rename(2), which fails with ENOTEMPTY or
// EEXIST on a non-empty target directory, where renameat2 is unsupported.
func renameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	if err == unix.ENOSYS || err == unix.EINVAL {
		err = unix.Rename(from, to)
	}
	return err
}
