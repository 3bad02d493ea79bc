package link

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// A listed package is materialized from Options.List's manifest instead of
// by reading its directories: one mkdirat per directory and one linkat per
// file, by path relative to the package roots' descriptors, so a directory
// costs no open, getdents or close. The paths of a package live in one
// buffer, NUL-terminated for the system calls.

// listedPkg is one package's listing and its open roots. A worker splits
// the entries of a large package with idle workers; the last share to
// finish closes the descriptors.
type listedPkg struct {
	srcFd, dstFd     int
	srcPath, dstPath string
	copy             bool
	raw              bool    // open and close its descriptors with raw calls
	names            []byte  // NUL-terminated paths
	dirs             []entry // in an order where parents come first
	files            []entry // files and symlinks
	refs             atomic.Int32
}

type entry struct {
	off, end int32 // names[off:end], the NUL included
	link     bool  // a symlink
}

func (p *listedPkg) name(e entry) []byte { return p.names[e.off:e.end] }

func (p *listedPkg) release() {
	if p.refs.Add(-1) == 0 {
		closeFd(p.srcFd, p.raw)
		closeFd(p.dstFd, p.raw)
	}
}

// Below this many entries left, a worker does not split a package.
const minShare = 128

// listed materializes a root task (its destination already created) from
// its listing. done is false when the package has no usable listing: the
// caller then reads its directories.
func (w *worker) listed(t task) (done bool, err error) {
	p := w.pkg
	if p == nil {
		p = &listedPkg{}
		w.pkg = p
	}
	p.names, p.dirs, p.files = p.names[:0], p.dirs[:0], p.files[:0]
	w.listBuf, err = w.m.list(t.src, w.listBuf, func(kind byte, rel []byte) error {
		off := int32(len(p.names))
		p.names = append(append(p.names, rel...), 0)
		e := entry{off: off, end: int32(len(p.names))}
		switch kind {
		case 'd':
			p.dirs = append(p.dirs, e)
		case 'l':
			e.link = true
			p.files = append(p.files, e)
		default:
			p.files = append(p.files, e)
		}
		return nil
	})
	if err != nil {
		return false, nil
	}
	// A path sorts after its parent, which is a prefix of it.
	slices.SortFunc(p.dirs, func(a, b entry) int {
		return bytes.Compare(p.names[a.off:a.end-1], p.names[b.off:b.end-1])
	})
	raw := w.raw()
	srcFd, err := w.openPath(t.src, raw)
	if err != nil {
		return true, fmt.Errorf("failed to open store directory %q: %w", t.src, err)
	}
	dstFd, err := w.openPath(t.dst, raw)
	if err != nil {
		closeFd(srcFd, raw)
		return true, fmt.Errorf("failed to open directory %q: %w", t.dst, err)
	}
	p.srcFd, p.dstFd, p.srcPath, p.dstPath, p.copy, p.raw = srcFd, dstFd, t.src, t.dst, t.copy, raw
	p.refs.Store(1)
	defer p.release()
	for _, d := range p.dirs {
		err := mkdirat(dstFd, p.name(d), raw)
		if err == nil {
			w.res.Dirs++
		} else if err != unix.EEXIST {
			return true, fmt.Errorf("failed to create directory %q: %w", joinC(t.dst, p.name(d)), err)
		}
	}
	return true, w.linkListed(p, 0, len(p.files))
}

// linkListed links the package's files lo..hi, handing half of what is
// left to an idle worker now and then.
func (w *worker) linkListed(p *listedPkg, lo, hi int) error {
	hardlink := w.m.method == Hardlink && !p.copy
	for i := lo; i < hi; i++ {
		if (i-lo)%rawWindow == 0 {
			if w.m.stopped.Load() {
				return nil
			}
			w.rawCalls(i - lo)
			if hi-i >= 2*minShare && w.m.q.hungry() {
				if w.pkg == p {
					w.pkg = nil // shared now: the next package gets its own buffers
				}
				mid := i + (hi-i)/2
				p.refs.Add(1)
				w.m.q.push(task{pkg: p, lo: mid, hi: hi})
				hi = mid
			}
		}
		e := p.files[i]
		var err error
		switch {
		case e.link:
			err = w.symlink(p.srcFd, p.dstFd, p.name(e), p.srcPath, p.dstPath, p.copy)
		case hardlink && w.raw():
			// The common case, kept to one call deep: after every system
			// call the caches are cold, and each function is more to load.
			name := p.name(e)
			if linkat(p.srcFd, name, p.dstFd, name, true) == nil {
				w.res.Files++
				continue
			}
			fallthrough // EEXIST, a fallback to copy, or an error to report
		default:
			err = w.file(p.srcFd, p.dstFd, p.name(e), p.srcPath, p.dstPath, p.copy)
		}
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("%w (the store entry does not match its index: `lockstep cache verify --fix` removes damaged entries)", err)
			}
			return err
		}
	}
	return nil
}
