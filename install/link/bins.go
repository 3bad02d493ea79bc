package link

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Bin is one entry of a package's "bin" map: the command name and the
// package-relative path of its script.
type Bin struct {
	Name, Target string
}

// LinkBins links pkgDir's bins into nodeModulesDir/.bin, like npm's
// bin-links for a package that is not the project root:
//
//   - The name is reduced to its basename after turning `\` and `:` into
//     `/` ("@scope/x" → "x"); names that reduce to nothing, "." or ".." are
//     skipped. The target is cleaned so it cannot leave the package.
//   - .bin/<name> becomes a relative symlink, e.g. ../esbuild/bin/esbuild or
//     ../@scope/pkg/cli.js. A symlink already pointing there is left alone
//     (and its target is not chmod'ed: npm does the same); any other file or
//     link at that name is replaced.
//   - A target that does not exist (ENOENT) or cannot be read (EACCES) is
//     skipped silently; npm warns for EACCES only in its log.
//   - After linking, the target gets mode 0777 &^ umask, and a "#!...\r\n"
//     first line is rewritten to "\n" by replacing the file (so a hardlinked
//     store file is not modified; the chmod does reach the store inode).
//
// LinkBins uses a fresh BinLinker: it does not know about bins linked by
// other calls. Use one BinLinker per install to get npm's "first package
// wins" rule for duplicate bin names.
func LinkBins(nodeModulesDir, pkgDir string, bins []Bin) error {
	var l BinLinker
	return l.LinkBins(nodeModulesDir, pkgDir, bins)
}

// BinLinker remembers the .bin entries it has created so that, as in npm,
// the first package to claim a bin path keeps it. npm links packages sorted
// by (depth, path); call LinkBins in that order for the same result. It is
// safe for concurrent use (then the first call to arrive wins). The zero
// value is ready to use.
type BinLinker struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

// LinkBins is the package-level LinkBins with the linker's memory of
// already-linked bins.
func (l *BinLinker) LinkBins(nodeModulesDir, pkgDir string, bins []Bin) error {
	_, err := l.LinkBinsClaimed(nodeModulesDir, pkgDir, bins)
	return err
}

// LinkBinsClaimed is LinkBins that also returns the bins (normalized) this
// call claimed, linked or not: a bin whose target is missing still holds
// its name, as in npm. RelinkBins links them again later.
func (l *BinLinker) LinkBinsClaimed(nodeModulesDir, pkgDir string, bins []Bin) ([]Bin, error) {
	if len(bins) == 0 {
		return nil, nil
	}
	nm, err := filepath.Abs(nodeModulesDir)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve %q: %w", nodeModulesDir, err)
	}
	pkg, err := filepath.Abs(pkgDir)
	if err != nil {
		return nil, fmt.Errorf("failed to resolve %q: %w", pkgDir, err)
	}
	binDir := filepath.Join(nm, ".bin")
	var errs []error
	var claimed []Bin
	for _, b := range bins {
		name, target, ok := normalizeBin(b)
		if !ok {
			continue
		}
		to := filepath.Join(binDir, name)
		if !l.claim(to) {
			continue
		}
		claimed = append(claimed, Bin{Name: name, Target: target})
		absFrom, from, err := binSource(binDir, pkg, name, target)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := linkBin(to, from, absFrom); err != nil {
			errs = append(errs, err)
		}
	}
	return claimed, errors.Join(errs...)
}

// RelinkBins links bins that an earlier LinkBinsClaimed claimed for pkgDir
// (possibly in another place of the tree, before a script built their
// targets): a missing or wrong link is made, and every existing target is
// fixed (mode, CRLF shebang) even when its link was already right, since a
// script may have rewritten it. Missing targets are still skipped.
func RelinkBins(nodeModulesDir, pkgDir string, bins []Bin) error {
	binDir := filepath.Join(nodeModulesDir, ".bin")
	var errs []error
	for _, b := range bins {
		name, target, ok := normalizeBin(b)
		if !ok {
			continue
		}
		to := filepath.Join(binDir, name)
		absFrom, from, err := binSource(binDir, pkgDir, name, target)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if cur, err := os.Readlink(to); err == nil && cur == from {
			if _, err := os.Lstat(absFrom); err == nil {
				errs = append(errs, fixBin(absFrom))
			}
			continue
		}
		errs = append(errs, linkBin(to, from, absFrom))
	}
	return errors.Join(errs...)
}

// binSource is a bin's target inside pkgDir (absFrom) and the relative
// path a link in binDir points at (from).
func binSource(binDir, pkgDir, name, target string) (absFrom, from string, err error) {
	absFrom = filepath.Join(pkgDir, filepath.FromSlash(target))
	from, err = filepath.Rel(binDir, absFrom)
	if err != nil {
		return "", "", fmt.Errorf("failed to link bin %q: %w", name, err)
	}
	return absFrom, from, nil
}

func (l *BinLinker) claim(to string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[to]; ok {
		return false
	}
	if l.seen == nil {
		l.seen = make(map[string]struct{})
	}
	l.seen[to] = struct{}{}
	return true
}

// normalizeBin applies npm-normalize-package-bin to one entry.
func normalizeBin(b Bin) (name, target string, ok bool) {
	name = path.Base(strings.NewReplacer(`\`, "/", ":", "/").Replace(b.Name))
	name = path.Join("/", name)[1:]
	target = path.Join("/", strings.ReplaceAll(b.Target, `\`, "/"))[1:]
	if name == "" || target == "" {
		return "", "", false
	}
	return name, target, true
}

// linkBin is bin-links' linkGently (in local, always-force mode) followed by
// fixBin.
func linkBin(to, from, absFrom string) error {
	if _, err := os.Lstat(absFrom); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil // npm skips bins whose target is missing
		}
		return fmt.Errorf("failed to stat bin target %q: %w", absFrom, err)
	}
	st, err := os.Lstat(to)
	switch {
	case err == nil && st.Mode()&fs.ModeSymlink != 0:
		if cur, err := os.Readlink(to); err == nil && cur == from {
			return nil // already linked; npm does not fix the bin then
		}
		if err := os.Remove(to); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("failed to remove %q: %w", to, err)
		}
	case err == nil:
		if err := os.RemoveAll(to); err != nil {
			return fmt.Errorf("failed to remove %q: %w", to, err)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(to), dirMode); err != nil {
			return fmt.Errorf("failed to create directory %q: %w", filepath.Dir(to), err)
		}
	case errors.Is(err, fs.ErrPermission):
		// npm ignores EACCES here and lets symlink report it
	default:
		return fmt.Errorf("failed to stat %q: %w", to, err)
	}
	if err := os.Symlink(from, to); err != nil {
		// Lost a race with another linker, or something reappeared: clobber.
		if rerr := os.RemoveAll(to); rerr != nil {
			return fmt.Errorf("failed to link bin %q: %w", to, err)
		}
		if err := os.Symlink(from, to); err != nil {
			return fmt.Errorf("failed to link bin %q: %w", to, err)
		}
	}
	return fixBin(absFrom)
}

// fixBin makes a bin target executable and turns a CRLF shebang line into LF.
func fixBin(file string) error {
	mode := fs.FileMode(0o777) &^ processUmask()
	if err := os.Chmod(file, mode); err != nil {
		return fmt.Errorf("failed to chmod bin %q: %w", file, err)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil // npm treats an unreadable bin as "no CRLF shebang"
	}
	head := make([]byte, 2048)
	n, _ := io.ReadFull(f, head)
	f.Close()
	if !crlfShebang(head[:n]) {
		return nil
	}
	return dos2unix(file)
}

// crlfShebang matches /^#![^\n]+\r\n/ on the file's first 2048 bytes.
func crlfShebang(b []byte) bool {
	if len(b) < 2 || b[0] != '#' || b[1] != '!' {
		return false
	}
	nl := bytes.IndexByte(b, '\n')
	return nl >= 4 && b[nl-1] == '\r'
}

// dos2unix rewrites the shebang line's CRLF as LF by writing a new file and
// renaming it over the old one (a hardlinked store file stays untouched),
// keeping the mode.
func dos2unix(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("failed to read bin %q: %w", file, err)
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 4 || data[nl-1] != '\r' {
		return nil
	}
	fixed := make([]byte, 0, len(data)-1)
	fixed = append(fixed, data[:nl-1]...)
	fixed = append(fixed, data[nl:]...)
	st, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("failed to stat bin %q: %w", file, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return fmt.Errorf("failed to rewrite bin %q: %w", file, err)
	}
	_, werr := tmp.Write(fixed)
	if werr == nil {
		werr = tmp.Chmod(st.Mode().Perm())
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), file)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("failed to rewrite bin %q: %w", file, werr)
	}
	return nil
}

var (
	umaskOnce sync.Once
	umask     fs.FileMode
)

// processUmask reads the umask without changing it (umask(2) would, briefly,
// for every goroutine creating files). Linux reports it in /proc/self/status;
// elsewhere assume the usual 022.
func processUmask() fs.FileMode {
	umaskOnce.Do(func() {
		umask = 0o022
		data, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Umask:"); ok {
				if u, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					umask = fs.FileMode(u) & 0o777
				}
				return
			}
		}
	})
	return umask
}
