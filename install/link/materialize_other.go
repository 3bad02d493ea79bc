//go:build !linux

package link

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Portable fallback: path-based, no reflink. Linux, where lockstep runs in
// CI, has the syscall-lean version in materialize_linux.go.

const dirMode = 0o777

// rawSyscalls: the portable code makes no raw system calls (see
// materialize_linux.go), so all workers start at once.
const rawSyscalls = false

type worker struct {
	m   *materializer
	res Result
}

func newWorker(m *materializer) *worker { return &worker{m: m} }

// listedPkg is not used here: Options.List is ignored, directories are
// always read.
type listedPkg struct{}

func (*listedPkg) release() {}

// Probe returns Hardlink if a store file can be linked into targetDir (or
// its nearest existing ancestor), else Copy.
func Probe(storeDir, targetDir string) Method {
	dir := targetDir
	for {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return Copy
		}
		dir = parent
	}
	f, err := os.CreateTemp(storeDir, ".lockstep-probe-*")
	if err != nil {
		return Copy
	}
	src := f.Name()
	f.Close()
	defer os.Remove(src)
	dst := filepath.Join(dir, filepath.Base(src)+".link")
	if err := os.Link(src, dst); err != nil {
		return Copy
	}
	os.Remove(dst)
	return Hardlink
}

func (w *worker) do(t task) error {
	if t.root {
		if err := os.Mkdir(t.dst, dirMode); err == nil {
			w.res.Dirs++
		} else if errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(t.dst, dirMode); err != nil {
				return fmt.Errorf("failed to create directory %q: %w", t.dst, err)
			}
			w.res.Dirs++
		} else if !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("failed to create directory %q: %w", t.dst, err)
		}
	}
	return w.dir(t.src, t.dst, t.copy)
}

func (w *worker) dir(src, dst string, copy bool) error {
	if w.m.stopped.Load() {
		return nil
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("failed to read directory %q: %w", src, err)
	}
	var subdirs []string
	for _, e := range ents {
		s, d := filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())
		switch {
		case e.IsDir():
			if err := os.Mkdir(d, dirMode); err == nil {
				w.res.Dirs++
			} else if !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("failed to create directory %q: %w", d, err)
			}
			subdirs = append(subdirs, e.Name())
		case e.Type().IsRegular():
			if err := w.file(s, d, copy); err != nil {
				return err
			}
		default:
			return fmt.Errorf("failed to copy %q: not a regular file or directory", s)
		}
	}
	for _, name := range subdirs {
		s, d := filepath.Join(src, name), filepath.Join(dst, name)
		if w.m.q.hungry() {
			w.m.q.push(task{src: s, dst: d, copy: copy})
			continue
		}
		if err := w.dir(s, d, copy); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) file(src, dst string, copy bool) error {
	if w.m.method != Copy && !copy {
		err := os.Link(src, dst)
		if errors.Is(err, fs.ErrExist) {
			os.Remove(dst)
			err = os.Link(src, dst)
		}
		if err == nil {
			w.res.Files++
			return nil
		}
	}
	sf, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("failed to open %q: %w", src, err)
	}
	defer sf.Close()
	st, err := sf.Stat()
	if err != nil {
		return fmt.Errorf("failed to stat %q: %w", src, err)
	}
	os.Remove(dst)
	df, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return fmt.Errorf("failed to create %q: %w", dst, err)
	}
	n, err := io.Copy(df, sf)
	if cerr := df.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("failed to copy %q to %q: %w", src, dst, err)
	}
	w.res.Files++
	w.res.Bytes += n
	return nil
}
