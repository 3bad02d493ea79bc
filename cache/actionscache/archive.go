package actionscache

import (
	"archive/tar"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// WriteArchive writes the tree under root to w as a zstd-compressed tar:
// directories, regular files and symbolic links, with slash-separated
// paths relative to root. skip (may be nil) leaves out a path (and, for a
// directory, everything below it). Other file types are left out.
func WriteArchive(w io.Writer, root string, skip func(rel string, d fs.DirEntry) bool) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)))
	if err != nil {
		return fmt.Errorf("failed to archive %q: %w", root, err)
	}
	tw := tar.NewWriter(zw)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		switch {
		case info.Mode().IsRegular(), info.IsDir():
		case info.Mode()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			return nil
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.Format = tar.FormatPAX
		hdr.AccessTime, hdr.ChangeTime = hdr.ModTime, hdr.ModTime
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("failed to archive %q: %w", root, err)
	}
	return nil
}

// Extract unpacks a WriteArchive stream into target: into a fresh
// temporary directory beside it first, which then replaces target (an
// existing target is moved aside and removed). Nothing is written outside
// that temporary directory: unsafe entries fail the whole extraction and
// leave target as it was.
func Extract(r io.Reader, target string) error {
	target = filepath.Clean(target)
	parent := filepath.Dir(target)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("failed to extract into %q: %w", target, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(target)+".restore-*")
	if err != nil {
		return fmt.Errorf("failed to extract into %q: %w", target, err)
	}
	if err := extractInto(r, tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("failed to extract into %q: %w", target, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("failed to extract into %q: %w", target, err)
	}
	var old string
	if _, err := os.Lstat(target); err == nil {
		old = filepath.Join(parent, "."+filepath.Base(target)+".old-"+randHex())
		if err := os.Rename(target, old); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("failed to replace %q: %w", target, err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		if old != "" {
			os.Rename(old, target)
		}
		os.RemoveAll(tmp)
		return fmt.Errorf("failed to replace %q: %w", target, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func randHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// MaxExtractSize bounds the bytes Extract writes (a decompression bomb
// guard): 20 GiB, twice the largest repository cache GitHub allows by
// default.
var MaxExtractSize int64 = 20 << 30

// errUnsafe marks an archive entry Extract refuses.
var errUnsafe = errors.New("unsafe archive entry")

func extractInto(r io.Reader, dir string) error {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxWindow(1<<30))
	if err != nil {
		return err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	links := map[string]bool{} // slash paths of symlinks written so far
	budget := MaxExtractSize
	type dirMode struct {
		p    string
		mode fs.FileMode
	}
	var dirs []dirMode
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(hdr.Name, "/")
		if err := checkName(name, links); err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		mode := fs.FileMode(hdr.Mode) & 0o777
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, dirMode{p, mode | 0o700})
		case tar.TypeReg:
			if hdr.Size > budget {
				return fmt.Errorf("%w %q: the archive expands beyond %d bytes", errUnsafe, name, MaxExtractSize)
			}
			budget -= hdr.Size
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode|0o600)
			if err != nil {
				return err
			}
			_, err = io.CopyN(f, tr, hdr.Size)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if err := os.Chmod(p, mode|0o400); err != nil {
				return err
			}
			os.Chtimes(p, hdr.ModTime, hdr.ModTime)
		case tar.TypeSymlink:
			if err := checkLink(name, hdr.Linkname); err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(hdr.Linkname, p); err != nil {
				return err
			}
			links[name] = true
		default:
			return fmt.Errorf("%w %q: type %q is not extracted", errUnsafe, name, string(hdr.Typeflag))
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Chmod(dirs[i].p, dirs[i].mode)
	}
	return nil
}

// checkName refuses absolute names, "..", empty or "." names and names
// below a symbolic link of the archive.
func checkName(name string, links map[string]bool) error {
	if name == "" || name == "." || path.IsAbs(name) || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) ||
		filepath.IsAbs(filepath.FromSlash(name)) || path.Clean(name) != name {
		return fmt.Errorf("%w %q: not a clean relative path", errUnsafe, name)
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return fmt.Errorf("%w %q: a \"..\" component", errUnsafe, name)
		}
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if links[p] {
			return fmt.Errorf("%w %q: below the symbolic link %q", errUnsafe, name, p)
		}
	}
	if links[name] {
		return fmt.Errorf("%w %q: written twice", errUnsafe, name)
	}
	return nil
}

// checkLink accepts a symbolic link only if its target is relative, any
// ".." come first, and it stays inside the archive's root. Since no entry
// is written below a link, every link's directory is a real directory, so
// the lexical check is exact.
func checkLink(name, target string) error {
	if target == "" || path.IsAbs(target) || filepath.IsAbs(target) || strings.Contains(target, "\\") || strings.ContainsRune(target, 0) {
		return fmt.Errorf("%w %q: link target %q is not relative", errUnsafe, name, target)
	}
	up, down := 0, false
	for _, el := range strings.Split(target, "/") {
		switch el {
		case "..":
			if down {
				return fmt.Errorf("%w %q: link target %q has \"..\" after a name", errUnsafe, name, target)
			}
			up++
		case ".", "":
		default:
			down = true
		}
	}
	depth := strings.Count(name, "/") // directories above the link
	if up > depth {
		return fmt.Errorf("%w %q: link target %q leaves the archive", errUnsafe, name, target)
	}
	return nil
}
