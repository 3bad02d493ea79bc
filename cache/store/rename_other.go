//go:build !linux

package store

import "os"

// renameNoReplace renames a directory into place. rename(2) fails with
// ENOTEMPTY or EEXIST when the target is a non-empty directory, and a
// store entry is never empty (it holds at least package.json), so an
// entry that is already there is never replaced.
func renameNoReplace(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		if le, ok := err.(*os.LinkError); ok {
			return le.Err
		}
		return err
	}
	return nil
}
