package link

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	direntBufSize = 32 << 10
	copyBufSize   = 128 << 10
	dirMode       = 0o777 // the umask applies, as for npm
)

type worker struct {
	m       *materializer
	buf     []byte // getdents buffer, reused for every directory
	copyBuf []byte // read/write fallback buffer, allocated on first use
	subdirs []string
	res     Result
	listBuf []byte     // Options.List's buffer, reused for every package
	pkg     *listedPkg // reused for the next package unless shared
	pathBuf []byte     // NUL-terminated job paths for the system calls
	window  time.Time  // when the current window of raw calls began (see rawCalls)
	slow    int        // consecutive slow windows
}

func newWorker(m *materializer) *worker {
	return &worker{m: m, buf: make([]byte, direntBufSize)}
}

// do runs one task: opens src and dst and fills dst.
func (w *worker) do(t task) error {
	if t.pkg != nil {
		return w.linkListed(t.pkg, t.lo, t.hi)
	}
	if t.root {
		created, err := w.mkdirRoot(t.dst)
		if err != nil {
			return err
		}
		if created {
			w.res.Dirs++
		}
		if w.m.list != nil {
			if done, err := w.listed(t); done || err != nil {
				return err
			}
		}
	}
	srcFd, err := openDir(unix.AT_FDCWD, t.src)
	if err != nil {
		return fmt.Errorf("failed to open store directory %q: %w", t.src, err)
	}
	defer unix.Close(srcFd)
	dstFd, err := w.openPath(t.dst, false)
	if err != nil {
		return fmt.Errorf("failed to open directory %q: %w", t.dst, err)
	}
	defer unix.Close(dstFd)
	return w.dir(srcFd, dstFd, t.src, t.dst, t.copy)
}

var atFdcwd = unix.AT_FDCWD // a variable: uintptr of the constant overflows

// cpath returns path NUL-terminated, in the worker's reused buffer (valid
// until the next call): unix.Mkdir and friends allocate a copy per call.
func (w *worker) cpath(path string) []byte {
	w.pathBuf = append(append(w.pathBuf[:0], path...), 0)
	return w.pathBuf
}

// openPath opens a job's directory only to use it as the dirfd of *at
// calls (openDirPath without the allocation).
func (w *worker) openPath(path string, raw bool) (int, error) {
	p := w.cpath(path)
	for {
		var fd uintptr
		var e unix.Errno
		if raw {
			fd, _, e = unix.RawSyscall6(unix.SYS_OPENAT, uintptr(atFdcwd), uintptr(unsafe.Pointer(&p[0])),
				uintptr(unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC), 0, 0, 0)
		} else {
			fd, _, e = unix.Syscall6(unix.SYS_OPENAT, uintptr(atFdcwd), uintptr(unsafe.Pointer(&p[0])),
				uintptr(unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC), 0, 0, 0)
		}
		switch e {
		case 0:
			return int(fd), nil
		case unix.EINTR:
			continue
		}
		return -1, e
	}
}

// mkdirRoot creates a job's destination. It may exist already (a nested job
// created it as a parent, or a rerun); its parents may not exist yet.
func (w *worker) mkdirRoot(dst string) (created bool, err error) {
	err = mkdirat(unix.AT_FDCWD, w.cpath(dst), w.raw())
	if err == unix.ENOENT {
		if err = os.MkdirAll(filepath.Dir(dst), dirMode); err != nil {
			return false, fmt.Errorf("failed to create directory %q: %w", filepath.Dir(dst), err)
		}
		err = mkdirat(unix.AT_FDCWD, w.cpath(dst), w.raw())
	}
	switch err {
	case nil:
		return true, nil
	case unix.EEXIST:
		return false, nil // openDirPath reports it if it is not a directory
	}
	return false, fmt.Errorf("failed to create directory %q: %w", dst, err)
}

func openDir(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// openDirPath opens a directory only to use it as the dirfd of *at calls.
func openDirPath(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// dir copies the entries of the open directory srcFd into dstFd, then
// recurses into subdirectories (or hands them to idle workers).
func (w *worker) dir(srcFd, dstFd int, srcPath, dstPath string, copy bool) error {
	if w.m.stopped.Load() {
		return nil
	}
	first := len(w.subdirs)
	defer func() { w.subdirs = w.subdirs[:first] }()
	for {
		n, err := unix.Getdents(srcFd, w.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("failed to read directory %q: %w", srcPath, err)
		}
		if n <= 0 {
			break
		}
		for off := 0; off < n; {
			rec := w.buf[off:n]
			reclen := int(binary.NativeEndian.Uint16(rec[16:18]))
			typ := rec[18]
			nameb := rec[19:reclen]
			off += reclen
			i := indexNUL(nameb)
			if i < 0 {
				return fmt.Errorf("failed to read directory %q: unterminated name", srcPath)
			}
			cname := nameb[:i+1] // NUL-terminated, for the system calls
			nameb = nameb[:i]
			if isDot(nameb) {
				continue
			}
			if typ == unix.DT_UNKNOWN {
				typ, err = statType(srcFd, string(nameb))
				if err != nil {
					return fmt.Errorf("failed to stat %q: %w", filepath.Join(srcPath, string(nameb)), err)
				}
			}
			switch typ {
			case unix.DT_REG:
				if err := w.file(srcFd, dstFd, cname, srcPath, dstPath, copy); err != nil {
					return err
				}
			case unix.DT_DIR:
				err := mkdirat(dstFd, cname, w.raw())
				if err == nil {
					w.res.Dirs++
				} else if err != unix.EEXIST {
					return fmt.Errorf("failed to create directory %q: %w", filepath.Join(dstPath, string(nameb)), err)
				}
				w.subdirs = append(w.subdirs, string(nameb))
			case unix.DT_LNK:
				if err := w.symlink(srcFd, dstFd, cname, srcPath, dstPath, copy); err != nil {
					return err
				}
			default:
				return fmt.Errorf("failed to copy %q: not a regular file or directory", filepath.Join(srcPath, string(nameb)))
			}
		}
	}
	// Subdirectories: hand them out while other workers are idle, otherwise
	// walk them here with the fds we have.
	for i := first; i < len(w.subdirs); i++ {
		name := w.subdirs[i]
		if w.m.stopped.Load() {
			return nil
		}
		sp, dp := srcPath+"/"+name, dstPath+"/"+name
		if w.m.q.hungry() {
			w.m.q.push(task{src: sp, dst: dp, copy: copy})
			continue
		}
		if err := w.subdir(srcFd, dstFd, name, sp, dp, copy); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) subdir(srcFd, dstFd int, name, sp, dp string, copy bool) error {
	sfd, err := openDir(srcFd, name)
	if err != nil {
		return fmt.Errorf("failed to open directory %q: %w", sp, err)
	}
	defer unix.Close(sfd)
	dfd, err := openDirPath(dstFd, name)
	if err != nil {
		return fmt.Errorf("failed to open directory %q: %w", dp, err)
	}
	defer unix.Close(dfd)
	return w.dir(sfd, dfd, sp, dp, copy)
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func isDot(b []byte) bool {
	return len(b) == 1 && b[0] == '.' || len(b) == 2 && b[0] == '.' && b[1] == '.'
}

func statType(dirfd int, name string) (byte, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0, err
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return unix.DT_REG, nil
	case unix.S_IFDIR:
		return unix.DT_DIR, nil
	case unix.S_IFLNK:
		return unix.DT_LNK, nil
	}
	return unix.DT_UNKNOWN, nil
}

// file puts one regular file into dstFd. name is NUL-terminated; it may
// be a relative path below srcFd and dstFd.
func (w *worker) file(srcFd, dstFd int, name []byte, srcPath, dstPath string, copy bool) error {
	method := w.m.method
	if copy && method == Hardlink {
		method = Copy
	}
	switch method {
	case Hardlink:
		err := w.link(srcFd, dstFd, name)
		if err == nil {
			w.res.Files++
			return nil
		}
		if !linkFallback(err) {
			return fmt.Errorf("failed to link %q to %q: %w", joinC(srcPath, name), joinC(dstPath, name), err)
		}
		return w.copyFile(srcFd, dstFd, name, srcPath, dstPath, false)
	case Reflink:
		err := w.copyFile(srcFd, dstFd, name, srcPath, dstPath, true)
		if err != errNoClone {
			return err
		}
		if !copy {
			if err := w.link(srcFd, dstFd, name); err == nil {
				w.res.Files++
				return nil
			}
		}
		return w.copyFile(srcFd, dstFd, name, srcPath, dstPath, false)
	default:
		return w.copyFile(srcFd, dstFd, name, srcPath, dstPath, false)
	}
}

// link hardlinks name, replacing an existing destination file.
func (w *worker) link(srcFd, dstFd int, name []byte) error {
	raw := w.raw()
	err := linkat(srcFd, name, dstFd, name, raw)
	if err == unix.EEXIST {
		if err := unlinkat(dstFd, name); err != nil && err != unix.ENOENT {
			return err
		}
		err = linkat(srcFd, name, dstFd, name, raw)
	}
	return err
}

// joinC joins a directory and a NUL-terminated name, for messages.
func joinC(dir string, cname []byte) string {
	return filepath.Join(dir, string(cname[:len(cname)-1]))
}

// Raw system calls. Hardlinking from a store that is in the page cache is
// one linkat (or mkdirat) per entry, a few microseconds of kernel work each.
// Through syscall.Syscall every call also runs the runtime's entersyscall
// and exitsyscall, and sysmon, finding Ps in system calls every 20 µs, hands
// them to other threads and back (futex wakeups, thread switches): perf
// put that at about a third of Materialize's user CPU. RawSyscall skips all
// that: the worker keeps its P through the call, like a thread of a C
// program, and by default only GOMAXPROCS workers run (see Materialize).
// On the large fixture (152k files) this took the link phase from 0.47 to
// 0.34 s of user CPU, and context switches from 16k to 2k.
//
// A raw call that waits for the disk holds its P (nothing else runs there,
// and other workers' I/O does not overlap with it). So workers time their
// linked files in windows of rawWindow and, when two windows in a row
// average more than slowCall per file (a store that is not in the page
// cache; one slow window may be a worker that waited for a P or a CPU),
// they switch the run to blocking-aware system calls for good, which also
// starts the workers held back (see Materialize).
const (
	rawSyscalls = true
	rawWindow   = 64
)

var slowCall = 250 * time.Microsecond // a variable for tests

// raw reports whether the hot system calls may be raw.
func (w *worker) raw() bool { return !w.m.blocking.Load() }

// rawCalls is called every rawWindow files of a listed package, i counting
// them from the share's start: it ends the timing window and starts the
// next one.
func (w *worker) rawCalls(i int) {
	if w.m.blocking.Load() {
		return
	}
	now := time.Now()
	if i > 0 {
		if now.Sub(w.window) > rawWindow*slowCall {
			w.slow++
		} else {
			w.slow = 0
		}
		if w.slow >= 2 {
			w.m.setBlocking()
		}
	}
	w.window = now
}

// The *at calls on NUL-terminated names: unix.Linkat and friends copy the
// name into a new C string on every call, which is most of the linker's
// garbage.

func linkat(oldDirFd int, oldName []byte, newDirFd int, newName []byte, raw bool) error {
	var e unix.Errno
	if raw {
		_, _, e = unix.RawSyscall6(unix.SYS_LINKAT, uintptr(oldDirFd), uintptr(unsafe.Pointer(&oldName[0])),
			uintptr(newDirFd), uintptr(unsafe.Pointer(&newName[0])), 0, 0)
	} else {
		_, _, e = unix.Syscall6(unix.SYS_LINKAT, uintptr(oldDirFd), uintptr(unsafe.Pointer(&oldName[0])),
			uintptr(newDirFd), uintptr(unsafe.Pointer(&newName[0])), 0, 0)
	}
	if e != 0 {
		return e
	}
	return nil
}

// closeFd closes a descriptor that has nothing to flush (O_PATH).
func closeFd(fd int, raw bool) {
	if raw {
		unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
	} else {
		unix.Close(fd)
	}
}

func mkdirat(dirFd int, name []byte, raw bool) error {
	var e unix.Errno
	if raw {
		_, _, e = unix.RawSyscall(unix.SYS_MKDIRAT, uintptr(dirFd), uintptr(unsafe.Pointer(&name[0])), dirMode)
	} else {
		_, _, e = unix.Syscall(unix.SYS_MKDIRAT, uintptr(dirFd), uintptr(unsafe.Pointer(&name[0])), dirMode)
	}
	if e != 0 {
		return e
	}
	return nil
}

func unlinkat(dirFd int, name []byte) error {
	_, _, e := unix.Syscall(unix.SYS_UNLINKAT, uintptr(dirFd), uintptr(unsafe.Pointer(&name[0])), 0)
	if e != 0 {
		return e
	}
	return nil
}

// linkFallback reports whether a failed link(2) should become a copy:
// different filesystems, too many links to the inode, or a hardlink the
// kernel refuses (fs.protected_hardlinks, filesystems without links).
func linkFallback(err error) bool {
	switch err {
	case unix.EXDEV, unix.EMLINK, unix.EPERM, unix.EOPNOTSUPP:
		return true
	}
	return false
}

var errNoClone = errors.New("reflink not supported")

// copyFile creates name in dstFd with the source's permission bits and
// contents: cloned when clone is set (errNoClone if the filesystem refuses,
// with nothing left behind), else copied with copy_file_range or read/write.
func (w *worker) copyFile(srcFd, dstFd int, cname []byte, srcPath, dstPath string, clone bool) error {
	name := string(cname[:len(cname)-1])
	sfd, err := unix.Openat(srcFd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("failed to open %q: %w", filepath.Join(srcPath, name), err)
	}
	defer unix.Close(sfd)
	var st unix.Stat_t
	if err := unix.Fstat(sfd, &st); err != nil {
		return fmt.Errorf("failed to stat %q: %w", filepath.Join(srcPath, name), err)
	}
	perm := st.Mode & 0o777
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL | unix.O_CLOEXEC
	dfd, err := unix.Openat(dstFd, name, flags, perm)
	if err == unix.EEXIST {
		if err = unix.Unlinkat(dstFd, name, 0); err == nil || err == unix.ENOENT {
			dfd, err = unix.Openat(dstFd, name, flags, perm)
		}
	}
	if err != nil {
		return fmt.Errorf("failed to create %q: %w", filepath.Join(dstPath, name), err)
	}
	if clone {
		if err := unix.IoctlFileClone(dfd, sfd); err != nil {
			unix.Close(dfd)
			unix.Unlinkat(dstFd, name, 0)
			return errNoClone
		}
	} else if err := w.copyData(dfd, sfd, st.Size); err != nil {
		unix.Close(dfd)
		return fmt.Errorf("failed to copy %q to %q: %w", filepath.Join(srcPath, name), filepath.Join(dstPath, name), err)
	}
	if err := unix.Close(dfd); err != nil {
		return fmt.Errorf("failed to write %q: %w", filepath.Join(dstPath, name), err)
	}
	w.res.Files++
	w.res.Bytes += st.Size
	return nil
}

// copyData copies size bytes from sfd to dfd, in the kernel when it can.
func (w *worker) copyData(dfd, sfd int, size int64) error {
	var done int64
	for done < size {
		n, err := unix.CopyFileRange(sfd, nil, dfd, nil, int(min(size-done, 1<<30)), 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			switch err {
			case unix.EXDEV, unix.ENOSYS, unix.EINVAL, unix.EOPNOTSUPP, unix.EPERM:
				return w.readWrite(dfd, sfd)
			}
			return err
		}
		if n == 0 {
			break // the file shrank
		}
		done += int64(n)
	}
	return nil
}

// readWrite copies the rest of sfd to dfd through a reused buffer.
func (w *worker) readWrite(dfd, sfd int) error {
	if w.copyBuf == nil {
		w.copyBuf = make([]byte, copyBufSize)
	}
	for {
		n, err := unix.Read(sfd, w.copyBuf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		for b := w.copyBuf[:n]; len(b) > 0; {
			m, err := unix.Write(dfd, b)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			b = b[m:]
		}
	}
}

// symlink reproduces a symlink (stores normally hold none: extraction drops
// links). Hardlinking a symlink links the link itself.
func (w *worker) symlink(srcFd, dstFd int, cname []byte, srcPath, dstPath string, copy bool) error {
	if w.m.method == Hardlink && !copy {
		if err := w.link(srcFd, dstFd, cname); err == nil {
			w.res.Files++
			return nil
		}
	}
	name := string(cname[:len(cname)-1])
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(srcFd, name, buf)
	if err != nil {
		return fmt.Errorf("failed to read link %q: %w", filepath.Join(srcPath, name), err)
	}
	target := string(buf[:n])
	err = unix.Symlinkat(target, dstFd, name)
	if err == unix.EEXIST {
		if err = unix.Unlinkat(dstFd, name, 0); err == nil || err == unix.ENOENT {
			err = unix.Symlinkat(target, dstFd, name)
		}
	}
	if err != nil {
		return fmt.Errorf("failed to create link %q: %w", filepath.Join(dstPath, name), err)
	}
	w.res.Files++
	return nil
}
