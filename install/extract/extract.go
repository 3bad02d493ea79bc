// Package extract unpacks npm package tarballs (gzip-compressed tar streams)
// into a directory, producing the same files, contents and modes as npm 11
// (pacote's tar options on top of node-tar's Unpack, plus bin-links' fix-up
// of bin targets).
//
// Rules, in the order they are applied to each tar entry:
//
//   - Only regular files are written (tar types '0', '\x00', '7'). Directory
//     entries, symlinks, hardlinks, devices, FIFOs and unknown types are
//     dropped silently, as pacote's filter does; GNU sparse files are dropped
//     with a warning (node-tar does not support them). Directories are created
//     as parents of files, so their tar modes never matter.
//   - A file named .gitignore becomes .npmignore unless a .npmignore entry with
//     the same raw path was seen earlier in the stream, in which case the
//     .gitignore is dropped (later duplicates still overwrite earlier ones).
//   - The first path component is stripped, whatever its name ("package/",
//     "react/" for @types, "./package/" ...). Entries left with no path are
//     dropped.
//   - Leading absolute roots ("/", "\", "C:") are stripped with a warning.
//     A path that contains a ".." component (splitting on '/' and '\') is an
//     error: npm skips such entries with a warning, we refuse the tarball.
//     The cleaned path is checked once more to stay inside dest.
//   - Paths deeper than 1024 components are skipped with a warning.
//   - File permission is (tar mode & 0o777) | 0o666, created under the
//     process umask, so 0644 -> 0644, 0755 -> 0755, 0700 -> 0744 with umask
//     022, exactly like npm. Setuid, setgid and sticky bits are dropped (npm
//     keeps them; we deliberately do not). Directories are created 0777 under
//     the umask (0755).
//   - Files named in Options.Bins become 0777 &^ umask (0755) and, if their
//     first line is "#!<something>\r\n" within the first 2048 bytes, that
//     line's CRLF becomes LF (bin-links fix-bin.js).
//   - Duplicate entries: the later one wins; like node-tar, an existing file
//     is truncated and rewritten in place, so it keeps its first mode. A file
//     entry whose path is an existing empty directory replaces it; a
//     non-empty directory, or a parent path that is a file, makes the entry
//     be skipped with a warning (node-tar does the same).
//   - Case-fold collisions ("README" and "readme") are both written and
//     reported in Result.CaseCollisions.
//
// Limits: total unpacked bytes and entry count are capped (Options.MaxBytes,
// Options.MaxEntries); exceeding them is an error. A truncated or corrupt
// gzip/tar stream is an error. Extract reads the input to its end even after
// the tar end marker, so an integrity Verifier fed by a TeeReader sees every
// byte. Nothing is fsynced. On error, dest holds a partial extraction: the
// caller (the store) discards it.
//
// Extract never creates symlinks and only writes below dest through a
// directory file descriptor opened once, with O_NOFOLLOW on every file.
package extract

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/lockstep-dev/lockstep/cache/store"
	"github.com/lockstep-dev/lockstep/install/inflate"
	"golang.org/x/sys/unix"
)

// Defaults for the Options limits.
const (
	DefaultMaxBytes   int64 = 8 << 30 // 8 GiB unpacked
	DefaultMaxEntries       = 1 << 20 // 1,048,576 tar entries
	maxDepth                = 1024    // node-tar's default maxDepth
	maxWarnings             = 32
	maxCollisions           = 32
	binSniffLen             = 2048 // bytes fix-bin.js inspects for a CRLF shebang
)

// Options controls one extraction.
type Options struct {
	// Bins are the package's bin targets, relative to the package root
	// ("./bin/x" and "bin/x" are the same). They are made executable and
	// get their CRLF shebang line fixed.
	Bins []string
	// MaxBytes caps the total unpacked size; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxEntries caps the number of tar entries; 0 means DefaultMaxEntries.
	MaxEntries int
	// Index asks for Result.Index: what is on disk afterwards, learned
	// while writing it (the content store's index, without reading the
	// files back).
	Index bool
}

// Result summarizes an extraction.
type Result struct {
	Files int   // regular files written (a duplicate entry counts again)
	Dirs  int   // directories created
	Bytes int64 // file bytes written
	// Warnings are npm-style notes about entries that were altered or
	// skipped (absolute root stripped, too deep, blocked by a directory...),
	// at most 32.
	Warnings []string
	// CaseCollisions lists paths that differ only in letter case from an
	// earlier path in the same package, at most 32.
	CaseCollisions []string
	// Index lists every file and directory under dest, unsorted, when
	// Options.Index is set.
	Index []store.IndexEntry
}

var (
	bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
	gzPool  sync.Pool // *inflate.Reader
)

// processUmask is read once; Extract never changes it.
var processUmask = readUmask()

func readUmask() uint32 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					return uint32(n)
				}
			}
		}
	}
	return 0o022
}

// Extract unpacks the gzip'd npm tarball read from gz into dest, which must
// be an existing, empty directory. It reads gz to EOF on success.
func Extract(gz io.Reader, dest string, o Options) (Result, error) {
	var res Result
	dfd, err := unix.Open(dest, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return res, fmt.Errorf("failed to open %q: %w", dest, err)
	}
	defer unix.Close(dfd)
	if err := checkEmptyDir(dfd, dest); err != nil {
		return res, err
	}

	var zr *inflate.Reader
	if v := gzPool.Get(); v != nil {
		zr = v.(*inflate.Reader)
		err = zr.Reset(gz)
	} else {
		zr, err = inflate.NewReader(gz)
	}
	if err != nil {
		if zr != nil {
			gzPool.Put(zr)
		}
		return res, fmt.Errorf("failed to read gzip header: %w", err)
	}
	defer gzPool.Put(zr)

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)

	x := &extractor{
		dfd:        dfd,
		dest:       dest,
		buf:        *bp,
		res:        &res,
		maxBytes:   o.MaxBytes,
		maxEntries: o.MaxEntries,
		dirs:       make(map[string]struct{}, 16),
	}
	if o.Index {
		x.index = make(map[string]store.IndexEntry, 32)
	}
	if x.maxBytes <= 0 {
		x.maxBytes = DefaultMaxBytes
	}
	if x.maxEntries <= 0 {
		x.maxEntries = DefaultMaxEntries
	}
	if len(o.Bins) > 0 {
		x.bins = make(map[string]struct{}, len(o.Bins))
		for _, b := range o.Bins {
			// like npm-normalize-package-bin: join with "/" and drop the
			// leading slash, so "./bin/x" == "bin/x" and ".." cannot climb.
			if c := path.Clean("/" + b)[1:]; c != "" {
				x.bins[c] = struct{}{}
			}
		}
	}

	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return res, fmt.Errorf("failed to read tarball: %w", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return res, err
		}
	}
	// Consume the rest of the gzip member(s): checks the gzip trailer (CRC
	// and size) and feeds every byte to whoever is watching gz. Like Node's
	// zlib, trailing bytes that are not another gzip member are ignored.
	if _, err := io.CopyBuffer(io.Discard, zr, x.buf); err != nil && !errors.Is(err, inflate.ErrHeader) {
		return res, fmt.Errorf("failed to read tarball: %w", err)
	}
	if _, err := io.CopyBuffer(io.Discard, gz, x.buf); err != nil {
		return res, fmt.Errorf("failed to read tarball: %w", err)
	}
	if x.index != nil {
		res.Index = make([]store.IndexEntry, 0, len(x.index))
		for _, e := range x.index {
			res.Index = append(res.Index, e)
		}
	}
	return res, nil
}

// checkEmptyDir reads the directory open as dfd (at dest) and fails if it
// holds anything. It reads through the descriptor Extract works with: an
// *os.File would cost five more system calls per package (non-blocking
// mode set and reset around a refused epoll registration, a second open).
func checkEmptyDir(dfd int, dest string) error {
	var buf [512]byte
	for {
		n, err := unix.ReadDirent(dfd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("failed to read %q: %w", dest, err)
		}
		if n <= 0 {
			return nil
		}
		if _, count, _ := unix.ParseDirent(buf[:n], 1, nil); count > 0 {
			return fmt.Errorf("failed to extract into %q: directory is not empty", dest)
		}
	}
}

type extractor struct {
	dfd        int
	dest       string
	buf        []byte
	res        *Result
	maxBytes   int64
	maxEntries int
	entries    int
	bins       map[string]struct{}
	dirs       map[string]struct{} // directories known to exist, relative to dest
	sawIgnores map[string]struct{} // raw paths of .npmignore entries seen so far
	folded     map[string]string   // lowercased path -> first spelling
	index      map[string]store.IndexEntry
	crc        uint32 // of the file being copied, when indexing
	written    int64  // bytes written to the file being copied
	// modesKnown is set once a file's mode as fstat reports it matched
	// the one computed from its permissions and the umask: the rest of the
	// extraction computes modes instead of asking (a default ACL on the
	// cache directory, which overrides the umask, keeps it unset).
	modesKnown bool
}

func (x *extractor) warn(format string, args ...any) {
	if len(x.res.Warnings) < maxWarnings {
		x.res.Warnings = append(x.res.Warnings, fmt.Sprintf(format, args...))
	}
}

func (x *extractor) entry(h *tar.Header, r io.Reader) error {
	x.entries++
	if x.entries > x.maxEntries {
		return fmt.Errorf("failed to extract tarball: more than %d entries", x.maxEntries)
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeCont: // Go maps '\x00' (TypeRegA) to TypeReg or TypeDir
		if h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, "/") {
			return nil // node-tar: a '0' entry ending in '/' is a directory
		}
	case tar.TypeGNUSparse:
		x.warn("unsupported entry type: SparseFile %q", h.Name)
		return nil
	default:
		return nil // directories, links, devices, FIFOs, unknown: dropped
	}

	raw := h.Name
	switch basename(raw) {
	case ".npmignore":
		if x.sawIgnores == nil {
			x.sawIgnores = make(map[string]struct{})
		}
		x.sawIgnores[raw] = struct{}{}
	case ".gitignore":
		if strings.HasSuffix(raw, ".gitignore") {
			ni := raw[:len(raw)-len(".gitignore")] + ".npmignore"
			if _, ok := x.sawIgnores[ni]; ok {
				return nil
			}
			raw = ni
		} else if _, ok := x.sawIgnores[raw]; ok {
			return nil
		}
	}

	// strip: 1
	rel := ""
	if i := strings.IndexByte(raw, '/'); i >= 0 {
		rel = raw[i+1:]
	}
	if strings.Count(rel, "/")+1 > maxDepth {
		x.warn("path excessively deep: %q", h.Name)
		return nil
	}
	rel, root := stripAbsolute(rel)
	if hasDotDot(rel) {
		return fmt.Errorf("failed to extract %q: path contains '..'", h.Name)
	}
	if root != "" {
		x.warn("stripping %s from absolute path %q", root, h.Name)
	}
	p := path.Clean(rel)
	if p == "." || p == "" {
		return nil // the entry would replace dest itself
	}
	if p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") {
		return fmt.Errorf("failed to extract %q: path escapes the destination", h.Name)
	}

	size := h.Size
	if size < 0 || size > x.maxBytes-x.res.Bytes {
		return fmt.Errorf("failed to extract %q: unpacked size exceeds the %d byte limit", h.Name, x.maxBytes)
	}

	dir, _ := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if ok, err := x.ensureDir(dir); err != nil {
		return err
	} else if !ok {
		x.warn("cannot create %q: a parent is not a directory", p)
		return nil
	}
	x.noteCase(p)

	_, isBin := x.bins[p]
	perm := uint32(h.Mode&0o777) | 0o666
	if isBin {
		perm = 0o777
	}
	fd, err := x.create(p, perm)
	if err != nil {
		if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
			x.warn("cannot replace directory %q with a file: %v", p, err)
			return nil
		}
		return fmt.Errorf("failed to create %q: %w", path.Join(x.dest, p), err)
	}
	if isBin {
		// bin-links chmods every bin target, even one that already existed.
		if err := unix.Fchmod(fd, 0o777&^processUmask); err != nil {
			unix.Close(fd)
			return fmt.Errorf("failed to chmod %q: %w", path.Join(x.dest, p), err)
		}
	}
	x.crc, x.written = 0, 0
	err = x.copy(fd, r, size, isBin)
	if err == nil && x.index != nil {
		// The mode and size the file has: a repeated entry keeps the first
		// one's mode, a bin is chmodded, and a CRLF fix shortens a bin.
		mode := os.FileMode(perm &^ processUmask)
		if isBin {
			mode = os.FileMode(0o777 &^ processUmask)
		} else if prev, ok := x.index[p]; ok {
			mode = prev.Mode
		}
		if !x.modesKnown {
			// Checked with the kernel until one file agrees.
			var st unix.Stat_t
			if err = unix.Fstat(fd, &st); err != nil {
				err = fmt.Errorf("failed to stat %q: %w", path.Join(x.dest, p), err)
			} else {
				x.modesKnown = fileMode(uint32(st.Mode)) == mode && st.Size == x.written
				mode, x.written = fileMode(uint32(st.Mode)), st.Size
			}
		}
		x.index[p] = store.IndexEntry{Path: p, Mode: mode, Size: x.written, CRC: x.crc}
	}
	if cerr := sysClose(fd); err == nil && cerr != nil {
		err = fmt.Errorf("failed to write %q: %w", path.Join(x.dest, p), cerr)
	}
	if err != nil {
		return err
	}
	x.res.Files++
	x.res.Bytes += size
	return nil
}

// create opens p for writing, replacing an empty directory of that name.
func (x *extractor) create(p string, perm uint32) (int, error) {
	const flags = unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_CLOEXEC | unix.O_NOFOLLOW
	for {
		fd, err := sysOpenat(x.dfd, p, flags, perm)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EISDIR {
			if rerr := unix.Unlinkat(x.dfd, p, unix.AT_REMOVEDIR); rerr != nil {
				return -1, rerr
			}
			delete(x.dirs, p)
			delete(x.index, p)
			fd, err = sysOpenat(x.dfd, p, flags, perm)
		}
		return fd, err
	}
}

// copy writes size bytes from r to fd, fixing a CRLF shebang line for bins.
func (x *extractor) copy(fd int, r io.Reader, size int64, isBin bool) error {
	first := true
	for size > 0 {
		n := int64(len(x.buf))
		if n > size {
			n = size
		}
		chunk := x.buf[:n]
		if _, err := io.ReadFull(r, chunk); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("failed to read tarball: %w", err)
		}
		size -= n
		if first && isBin {
			if i := crlfShebang(chunk); i > 0 {
				// drop the '\r' at i-1
				if err := x.write(fd, chunk[:i-1]); err != nil {
					return err
				}
				chunk = chunk[i:]
			}
		}
		first = false
		if err := x.write(fd, chunk); err != nil {
			return err
		}
	}
	return nil
}

// write writes b, adding it to the file's CRC when indexing.
func (x *extractor) write(fd int, b []byte) error {
	if x.index != nil {
		x.crc = store.UpdateCRC(x.crc, b)
	}
	x.written += int64(len(b))
	return writeAll(fd, b)
}

// fileMode is the permission and special bits of a stat mode, as os.Lstat
// reports them.
func fileMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	if m&unix.S_ISUID != 0 {
		mode |= os.ModeSetuid
	}
	if m&unix.S_ISGID != 0 {
		mode |= os.ModeSetgid
	}
	if m&unix.S_ISVTX != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// crlfShebang returns the index of the '\n' ending the first line when the
// data starts like fix-bin.js's /^#![^\n]+\r\n/ within its first 2048 bytes,
// else 0.
func crlfShebang(b []byte) int {
	if len(b) > binSniffLen {
		b = b[:binSniffLen]
	}
	if len(b) < 5 || b[0] != '#' || b[1] != '!' {
		return 0
	}
	for i := 2; i < len(b); i++ {
		if b[i] == '\n' {
			if i >= 4 && b[i-1] == '\r' {
				return i
			}
			return 0
		}
	}
	return 0
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := sysWrite(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("failed to write file: %w", err)
		}
		b = b[n:]
	}
	return nil
}

// ensureDir creates dir (relative to dest) and its parents. It reports false
// when a path component exists and is not a directory.
func (x *extractor) ensureDir(dir string) (bool, error) {
	if dir == "" {
		return true, nil
	}
	if _, ok := x.dirs[dir]; ok {
		return true, nil
	}
	if parent, _ := path.Split(dir); parent != "" {
		if ok, err := x.ensureDir(strings.TrimSuffix(parent, "/")); !ok || err != nil {
			return ok, err
		}
	}
	for {
		err := unix.Mkdirat(x.dfd, dir, 0o777)
		switch err {
		case nil:
			x.res.Dirs++
			x.noteCase(dir)
			if x.index != nil {
				var st unix.Stat_t
				if err := unix.Fstatat(x.dfd, dir, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					return false, fmt.Errorf("failed to stat %q: %w", path.Join(x.dest, dir), err)
				}
				x.index[dir] = store.IndexEntry{Dir: true, Path: dir, Mode: fileMode(uint32(st.Mode))}
			}
		case unix.EINTR:
			continue
		case unix.EEXIST:
			var st unix.Stat_t
			if err := unix.Fstatat(x.dfd, dir, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return false, fmt.Errorf("failed to stat %q: %w", path.Join(x.dest, dir), err)
			}
			if st.Mode&unix.S_IFMT != unix.S_IFDIR {
				return false, nil
			}
		case unix.ENOTDIR:
			return false, nil
		default:
			return false, fmt.Errorf("failed to create directory %q: %w", path.Join(x.dest, dir), err)
		}
		x.dirs[dir] = struct{}{}
		return true, nil
	}
}

func (x *extractor) noteCase(p string) {
	low := strings.ToLower(p)
	if x.folded == nil {
		x.folded = make(map[string]string, 64)
	}
	if prev, ok := x.folded[low]; ok {
		if prev != p && len(x.res.CaseCollisions) < maxCollisions {
			x.res.CaseCollisions = append(x.res.CaseCollisions, p)
		}
		return
	}
	x.folded[low] = p
}

// basename is Node's path.posix.basename: trailing slashes are ignored.
func basename(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// stripAbsolute removes leading roots the way node-tar's stripAbsolutePath
// does on POSIX (it uses win32 rules): "/", "\" and drive letters "C:".
func stripAbsolute(p string) (rest, root string) {
	for {
		switch {
		case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`):
			root += p[:1]
			p = p[1:]
		case len(p) >= 2 && p[1] == ':' && isLetter(p[0]):
			root += p[:2]
			p = p[2:]
		default:
			return p, root
		}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// hasDotDot reports a ".." component, splitting on both '/' and '\' as
// node-tar does.
func hasDotDot(p string) bool {
	for len(p) > 0 {
		i := strings.IndexAny(p, `/\`)
		seg := p
		if i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = ""
		}
		if seg == ".." {
			return true
		}
	}
	return false
}
