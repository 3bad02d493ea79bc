//go:build unix

package action

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// chownToWorkspace hands what the install created (dir's node_modules and
// the report) to the owner of the workspace directory. The container runs
// as root while later steps run as the runner's user, who must be able to
// delete and rewrite these files. It does nothing unless this process is
// root and the workspace belongs to someone else.
func chownToWorkspace(workspace, dir string, extra ...string) error {
	if os.Geteuid() != 0 || workspace == "" {
		return nil
	}
	fi, err := os.Stat(workspace)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	uid, gid := int(st.Uid), int(st.Gid)
	var errs []error
	root := filepath.Join(dir, "node_modules")
	err = filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	errs = append(errs, err)
	for _, p := range extra {
		if p == "" {
			continue
		}
		if err := os.Lchown(p, uid, gid); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
